import Market

/// The 11 bytes every ITCH 5.0 message starts with: type, stock locate, tracking number, timestamp.
public enum CommonLayout {
    /// Message type byte.
    public static let type = 0
    /// Stock locate (2 bytes): the instrument's index for the day, 0 for market-wide messages.
    public static let stockLocate = 1
    /// Nasdaq internal tracking number (2 bytes).
    public static let trackingNumber = 3
    /// Nanoseconds since midnight (6 bytes).
    public static let timestamp = 5
    /// Length of the common header.
    public static let length = 11
}

/// The common header fields, for encoding and comparing.
public struct ITCHHeader: Equatable, Sendable {
    /// Stock locate; 0 for messages that concern no instrument.
    public var stockLocate: UInt16
    /// Nasdaq internal tracking number.
    public var trackingNumber: UInt16
    /// Nanoseconds since midnight (48 bits are carried).
    public var timestamp: UInt64

    @inlinable public init(stockLocate: UInt16, trackingNumber: UInt16 = 0, timestamp: UInt64) {
        self.stockLocate = stockLocate
        self.trackingNumber = trackingNumber
        self.timestamp = timestamp & 0xFFFF_FFFF_FFFF
    }

    /// Writes the type byte and these header fields.
    @inlinable func write(type: UInt8, to w: MutableWireBytes) {
        w.u8(CommonLayout.type, type)
        w.u16(CommonLayout.stockLocate, stockLocate)
        w.u16(CommonLayout.trackingNumber, trackingNumber)
        w.u48(CommonLayout.timestamp, timestamp)
    }
}

/// What every message view offers: its bytes and the common header.
public protocol ITCHMessageView {
    /// The message bytes.
    var bytes: WireBytes { get }
}

extension ITCHMessageView {
    /// Message type byte.
    @inlinable public var messageType: UInt8 { bytes.u8(CommonLayout.type) }
    /// Stock locate.
    @inlinable public var stockLocate: UInt16 { bytes.u16(CommonLayout.stockLocate) }
    /// Tracking number.
    @inlinable public var trackingNumber: UInt16 { bytes.u16(CommonLayout.trackingNumber) }
    /// Nanoseconds since midnight.
    @inlinable public var timestamp: UInt64 { bytes.u48(CommonLayout.timestamp) }
    /// The common header as a value.
    public var header: ITCHHeader {
        ITCHHeader(stockLocate: stockLocate, trackingNumber: trackingNumber, timestamp: timestamp)
    }
}
