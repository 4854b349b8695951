import Market
import Synchronization
import WebSocket

extension WebSocketServerStatistics {
    /// permessage-deflate's samples for `/metrics` (docs/gateway.md): open clients by how they are
    /// compressed; what the compressions took in, gave out and cost (each compression once: a shared
    /// frame counts once however many clients it reaches); the compressed copies queued and the bytes
    /// they kept off the wire; what clients sent compressed, and why such messages failed; zlib's memory.
    public func compressionSamples() -> [MetricSample] {
        func v(_ a: borrowing Atomic<Int>) -> Double { Double(a.load(ordering: .relaxed)) }
        let clientsHelp = "Open WebSocket clients by compression: none, shared (the shared compressed frames), own_context (a deflater of their own, --deflate full)"
        let failuresHelp = "Connections closed for a compressed message: invalid (not DEFLATE, or not UTF-8 once inflated: 1007), too_big (inflating past --max-message: 1009), out_of_memory (1011)"
        return [
            MetricSample("quotecast_websocket_clients", .gauge, help: clientsHelp, labels: [("compression", "none")], value: v(clientsUncompressed)),
            MetricSample("quotecast_websocket_clients", .gauge, help: clientsHelp, labels: [("compression", "shared")], value: v(clientsSharedDeflate)),
            MetricSample("quotecast_websocket_clients", .gauge, help: clientsHelp, labels: [("compression", "own_context")], value: v(clientsOwnContextDeflate)),
            MetricSample("quotecast_websocket_deflate_messages_total", .counter,
                         help: "Messages compressed (a shared compressed frame once, whatever the number of clients it goes to)", value: v(deflateMessages)),
            MetricSample("quotecast_websocket_deflate_input_bytes_total", .counter, help: "Payload bytes before compression, per compression", value: v(deflateBytesIn)),
            MetricSample("quotecast_websocket_deflate_output_bytes_total", .counter, help: "Payload bytes after compression, per compression", value: v(deflateBytesOut)),
            MetricSample("quotecast_websocket_deflate_cpu_seconds_total", .counter, help: "Thread CPU time spent compressing",
                         value: v(deflateNanoseconds) / 1e9),
            MetricSample("quotecast_websocket_deflate_frames_out_total", .counter, help: "Frames queued compressed (every client's copy)", value: v(compressedFramesOut)),
            MetricSample("quotecast_websocket_deflate_saved_bytes_total", .counter,
                         help: "Payload bytes compression kept off the wire (plain minus compressed, every client's copy)", value: v(deflateBytesSaved)),
            MetricSample("quotecast_websocket_inflate_input_bytes_total", .counter, help: "Compressed payload bytes received from clients", value: v(inflateBytesIn)),
            MetricSample("quotecast_websocket_inflate_output_bytes_total", .counter, help: "What clients' compressed messages inflated to", value: v(inflateBytesOut)),
            MetricSample("quotecast_websocket_inflate_failures_total", .counter, help: failuresHelp, labels: [("reason", "invalid")], value: v(inflateInvalid)),
            MetricSample("quotecast_websocket_inflate_failures_total", .counter, help: failuresHelp, labels: [("reason", "too_big")], value: v(inflateOverLimit)),
            MetricSample("quotecast_websocket_inflate_failures_total", .counter, help: failuresHelp, labels: [("reason", "out_of_memory")], value: v(inflateOutOfMemory)),
            MetricSample("quotecast_websocket_zlib_memory_bytes", .gauge, help: "Memory zlib holds for every compression and inflation stream",
                         value: Double(compressionMemory.bytes)),
        ]
    }
}
