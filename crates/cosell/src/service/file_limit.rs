//! The process's open-file limit. Every connection costs a file descriptor,
//! and the common soft limit of 1024 is far below what the connection
//! limits allow, so the service raises its soft limit to the hard one at
//! start (no privilege needed) and saves the result for `cosell status`.

use serde::{Deserialize, Serialize};
use store::Store;

/// The store cursor holding the JSON [`FileLimit`] of the running service.
pub const FILE_LIMIT_CURSOR: &str = "service.file_limit";

/// The open-file limit before and after raising it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLimit {
    /// The soft limit the process started with.
    pub before: u64,
    /// The soft limit in effect now.
    pub now: u64,
    /// The hard limit (the most the soft one can be raised to).
    pub hard: u64,
}

impl FileLimit {
    /// Raises the soft limit to the hard one; None where there is no such
    /// limit or it cannot be read.
    pub fn raise() -> Option<Self> {
        let (before, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).ok()?;
        let now = rlimit::increase_nofile_limit(hard).unwrap_or(before);
        Some(Self { before, now, hard })
    }

    /// Saves it for `cosell status`.
    pub async fn save(&self, store: &dyn Store) -> store::Result<()> {
        let text = serde_json::to_string(self).unwrap_or_default();
        store.set_cursor(FILE_LIMIT_CURSOR, &text).await
    }

    /// The last saved limit, if any (an unreadable one counts as none).
    pub async fn load(store: &dyn Store) -> store::Result<Option<Self>> {
        Ok(store
            .cursor(FILE_LIMIT_CURSOR)
            .await?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }
}

impl std::fmt::Display for FileLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} open files", self.now)?;
        if self.now > self.before {
            write!(f, " (raised from {} to the hard limit)", self.before)?;
        } else if self.now < self.hard {
            write!(f, " (hard limit {})", self.hard)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_soft_limit_reaches_the_hard_one_and_round_trips() {
        let limit = FileLimit::raise().expect("Linux has an open-file limit");
        assert_eq!(limit.now, limit.hard);
        let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!((soft, hard), (limit.now, limit.hard));
        let store = store::open("sqlite::memory:").await.unwrap();
        assert_eq!(FileLimit::load(store.as_ref()).await.unwrap(), None);
        limit.save(store.as_ref()).await.unwrap();
        assert_eq!(FileLimit::load(store.as_ref()).await.unwrap(), Some(limit));
    }

    #[test]
    fn it_reads_as_a_person_would_say_it() {
        let raised = FileLimit {
            before: 1024,
            now: 524_288,
            hard: 524_288,
        };
        assert_eq!(
            raised.to_string(),
            "524288 open files (raised from 1024 to the hard limit)"
        );
    }
}
