/// One of the lines a MoldUDP64 session is received on: A, B (a redundant copy), or the unicast socket
/// the retransmission server answers on. The raw value indexes per-line arrays.
public enum SessionLine: Int, Sendable, CaseIterable {
    case a = 0
    case b = 1
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
