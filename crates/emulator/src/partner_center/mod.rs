//! Emulator of Microsoft Partner Center: Entra ID token endpoint, Referrals API, Webhooks API, webhook delivery.
