/// What arrives on a link to the gateway.
public enum LinkEvent: Equatable, Sendable {
    /// A text message (one JSON object).
    case text(String)
    /// A binary message (the ticker asks for JSON, so it only counts these as bad).
    case binary
    /// The gateway closed the connection.
    case closed(code: UInt16, reason: String)
}

/// One open connection to the gateway, as the session uses it: a descriptor to poll, text out,
/// whatever has arrived in. `StreamConnection` (module StreamClient) is the real one; tests use fakes.
public protocol TickerLink: AnyObject {
    /// The descriptor to poll for input.
    var descriptor: Int32 { get }
    /// Sends one text message.
    func send(text: String) throws
    /// What has arrived, without waiting; throws when the connection broke.
    func drainAvailable() throws -> [LinkEvent]
    /// Closes the connection (normal closure).
    func close()
}

/// Opens a link to the gateway within a timeout (ns); throws an error whose description says what
/// failed (refused, timed out, handshake rejected). Runs on a thread of its own (`ConnectAttempt`).
public typealias TickerConnector = @Sendable (_ timeoutNanoseconds: UInt64) throws -> TickerLink
