/// One of the lines a MoldUDP64 session is received on: A, B (a redundant copy), or the unicast socket
/// the retransmission server answers on. The raw value indexes per-line arrays.
public enum SessionLine: Int, Sendable, CaseIterable {
    /// Line A, the exchange's first copy.
    case a = 0
    /// Line B, the redundant copy (if the exchange sends one).
    case b = 1
    /// The unicast socket the retransmission server's answers arrive on.
    case retransmission = 2

    /// The lower-case name used in logs and in the `line` label of metrics.
    public var name: String {
        switch self {
        case .a: "a"
        case .b: "b"
        case .retransmission: "retransmit"
        }
    }
}
