import Auth

/// What one connection authenticated as (`--auth token`): its user, the key and expiry of its
/// token, and what the token entitles it to. Replaced whole by a successful `{"op":"auth"}`
/// refresh. Loop thread only.
struct ClientSession {
    /// `sub`: the user (connection limits and audit lines use it; never a metric label).
    var subject: String
    /// The key that signed the token.
    var keyID: String
    /// `exp`, seconds since the Unix epoch.
    var expiresAt: Double
    /// What the connection may see.
    var entitlements: Entitlements
    /// Whether `token_expiring` was sent for this token.
    var warned = false

    /// The session a verified token opens.
    init(_ token: VerifiedToken) {
        subject = token.subject
        keyID = token.keyID
        expiresAt = token.claims.expiresAt
        entitlements = token.entitlements
    }

    /// When this session next needs looking at, wall-clock seconds: the warning time, then (once
    /// warned) the expiry.
    func nextDeadline(leeway: Double, warning: Double) -> Double {
        warned ? expiresAt + leeway : expiresAt + leeway - warning
    }
}
