//! The JSON API: the same data as the pages, for scripts and monitoring.
//! Errors are `{"error": "..."}` with the matching status code.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use store::JobState;
use uuid::Uuid;

use super::aws::{self, LinkDetail, LinkList};
use super::error::{parse_id, DashboardError};
use super::pages::ListParams;
use super::view::{self, DeadLetters, Overview, PairDetail, PairList};
use super::{guard, DashboardState};

/// A JSON error answer.
pub struct ApiError(DashboardError);

impl<E: Into<DashboardError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": self.0.public_message() }));
        (self.0.status(), body).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Answer of the retry endpoints.
#[derive(Debug, Serialize)]
pub struct Retried {
    /// How many dead jobs are pending again.
    pub retried: u64,
    /// The revived job (single retry only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<RetriedJob>,
}

/// A revived job.
#[derive(Debug, Serialize)]
pub struct RetriedJob {
    pub id: Uuid,
    pub key: String,
    pub state: JobState,
}

/// `GET /api/overview`.
pub async fn overview(State(state): State<DashboardState>) -> ApiResult<Overview> {
    Ok(Json(view::overview(&state).await?))
}

/// `GET /api/pairs?q=&state=&page=`.
pub async fn pairs(
    State(state): State<DashboardState>,
    Query(params): Query<ListParams>,
) -> ApiResult<PairList> {
    let (q, filter, page) = params.parse()?;
    Ok(Json(view::pair_list(&state, q, filter, page).await?))
}

/// `GET /api/pairs/{id}`.
pub async fn pair(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
) -> ApiResult<PairDetail> {
    let id = parse_id(&id)?;
    Ok(Json(view::pair_detail(&state, id).await?))
}

/// `GET /api/aws/links?q=&state=&page=`.
pub async fn aws_links(
    State(state): State<DashboardState>,
    Query(params): Query<ListParams>,
) -> ApiResult<LinkList> {
    let (q, filter, page) = params.parse()?;
    Ok(Json(aws::link_list(&state, q, filter, page).await?))
}

/// `GET /api/aws/links/{id}`.
pub async fn aws_link(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
) -> ApiResult<LinkDetail> {
    let id = parse_id(&id)?;
    Ok(Json(aws::link_detail(&state, id).await?))
}

/// `GET /api/dead-letters`.
pub async fn dead_letters(State(state): State<DashboardState>) -> ApiResult<DeadLetters> {
    Ok(Json(view::dead_letters(&state).await?))
}

/// `POST /api/dead-letters/{id}/retry`: 404 unknown job, 409 not dead.
pub async fn retry_one(
    State(state): State<DashboardState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Retried> {
    guard::same_origin(&headers)?;
    let id = parse_id(&id)?;
    let job = view::retry_one(&state, id).await?;
    tracing::info!(job = %id, "dead letter retried from the dashboard API");
    Ok(Json(Retried {
        retried: 1,
        job: Some(RetriedJob {
            id: job.id,
            key: job.dedup_key,
            state: job.state,
        }),
    }))
}

/// `POST /api/dead-letters/retry-all`.
pub async fn retry_all(
    State(state): State<DashboardState>,
    headers: HeaderMap,
) -> ApiResult<Retried> {
    guard::same_origin(&headers)?;
    let retried = view::retry_all(&state).await?;
    tracing::info!(retried, "all dead letters retried from the dashboard API");
    Ok(Json(Retried { retried, job: None }))
}

/// Any other path under `/api/`.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError(DashboardError::NoRoute(uri.path().to_owned()))
}
