// swift-tools-version:6.2
// quotecast: a real-time stock quote daemon. Toolchain only: no package dependencies.
import PackageDescription

/// Release-grade settings shared by every Swift target.
let swiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "quotecast",
    products: [
        .executable(name: "quotecast", targets: ["quotecast"]),
        .executable(name: "quotecast-bench", targets: ["quotecast-bench"]),
    ],
    targets: [
        // The C shim: what Swift's Glibc module does not expose (epoll, eventfd, pause, thread names).
        .target(name: "CShim"),
        // A plain C single-producer ring, only as the yardstick for the Swift ring in the benchmarks.
        .target(name: "CRingBaseline", cSettings: [.unsafeFlags(["-O2"])]),
        // The operating system's zlib (permessage-deflate), through a module map over zlib.h; not a package.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Byte codecs and digests every layer may need (base64, JSON, SHA-1, SHA-256, HMAC): no dependencies.
        .target(name: "Codecs", swiftSettings: swiftSettings),
        // Rate limits (token buckets, a per-source-address table): no dependencies, time passed in.
        .target(name: "RateLimit", swiftSettings: swiftSettings),
        // Access control: keys, signed tokens (JWT HS256), entitlements. Knows no sockets, no ticks.
        .target(name: "Auth", dependencies: ["Codecs"], swiftSettings: swiftSettings),
        // The process's clocks, named threads and stop flags: one place for what every stage uses.
        .target(name: "System", dependencies: ["CShim"], swiftSettings: swiftSettings),

        // The data flow, bottom up: market vocabulary → exchange wire → books → simulator → ring → feed.
        .target(name: "Market", dependencies: ["Codecs"], swiftSettings: swiftSettings),
        // Capture files, knowing no exchange: pcap and pcapng read in place from a mapped file, written
        // buffered (Ethernet/IPv4/UDP frames). ITCH, KRX captures and the command line use it.
        .target(name: "PacketCapture", swiftSettings: swiftSettings),
        .target(name: "ITCH", dependencies: ["Market", "PacketCapture"], swiftSettings: swiftSettings),
        .target(name: "OrderBook", dependencies: ["Market", "ITCH", "CShim"], swiftSettings: swiftSettings),
        .target(name: "Simulator", dependencies: ["Market", "ITCH"], swiftSettings: swiftSettings),
        // The Korea Exchange (docs/krx.md): KOSCOM's records, the state they build, a Korean trading day.
        .target(name: "KRX", dependencies: ["Market"], swiftSettings: swiftSettings),
        .target(name: "KRXBook", dependencies: ["KRX", "Market"], swiftSettings: swiftSettings),
        .target(name: "KRXSimulator", dependencies: ["KRX", "Market"], swiftSettings: swiftSettings),
        .target(name: "Fanout", dependencies: ["Market", "CShim", "System"], swiftSettings: swiftSettings),
        // The network edge: typed sockets and an epoll loop, then HTTP/1.1 + RFC 6455 on top (knows no ticks).
        .target(name: "Sockets", dependencies: ["CShim", "System"], swiftSettings: swiftSettings),
        // MoldUDP64, Nasdaq's framing and sequencing over UDP, for every MoldUDP64 stream: the packet codec,
        // A/B arbitration, gap recovery, retransmission client and server, the publisher.
        .target(name: "MoldUDP64", dependencies: ["Market", "Sockets", "System"], swiftSettings: swiftSettings),
        .target(name: "WebSocket", dependencies: ["Sockets", "Codecs", "RateLimit", "CShim", "CZlib", "System"], swiftSettings: swiftSettings),
        // The feed → gateway hop: the normalized tick messages (docs/wire-format.md), channels.
        .target(name: "Multicast", dependencies: ["Market", "MoldUDP64", "Fanout", "Sockets", "System"], swiftSettings: swiftSettings),
        // The client side of the WebSocket API: for the ticker, the load harness and tests.
        .target(name: "StreamClient", dependencies: ["WebSocket", "Sockets", "Market", "Codecs", "System"], swiftSettings: swiftSettings),
        // The gateway: last-value cache, subscriptions, encode-once fan-out, per-client backpressure.
        .target(name: "Gateway", dependencies: ["Market", "Fanout", "Sockets", "WebSocket", "System", "Auth", "Codecs", "RateLimit"],
                swiftSettings: swiftSettings),
        // The feed thread: sources of bytes, the exchange adapter interface, one folder per exchange's adapter
        // (NasdaqITCH/ the first; a new exchange's adapter goes beside it, its codec in a module of its own).
        .target(name: "Feed", dependencies: ["Market", "PacketCapture", "ITCH", "MoldUDP64", "OrderBook", "KRX", "KRXBook", "Fanout", "Sockets", "System"],
                swiftSettings: swiftSettings),
        // The load-test harness: many WebSocket clients on epoll, checks, latency histogram, report.
        .target(name: "LoadTest", dependencies: ["Market", "Sockets", "WebSocket", "StreamClient", "System", "CShim"],
                swiftSettings: swiftSettings),

        // The terminal ticker: state from the WebSocket API's messages, a pure renderer, the terminal.
        .target(name: "Ticker", dependencies: ["Market", "StreamClient", "System"], swiftSettings: swiftSettings),

        // The stock screen at `/` (docs/web.md): HTML, CSS and JavaScript files in Sources/WebPage/Files,
        // embedded at build time by the EmbedWebPage plugin and served from memory.
        .target(name: "WebPage", dependencies: ["WebSocket", "Codecs"], exclude: ["Files"], swiftSettings: swiftSettings,
                plugins: ["EmbedWebPage"]),
        .plugin(name: "EmbedWebPage", capability: .buildTool()),

        // Stamps the CLI with the git commit and the compiler's version at every build (`quotecast --version`).
        .plugin(name: "BuildStamp", capability: .buildTool()),

        .executableTarget(name: "quotecast",
                          dependencies: ["Market", "PacketCapture", "ITCH", "MoldUDP64", "OrderBook", "Simulator", "Fanout", "Feed",
                                         "KRX", "KRXBook", "KRXSimulator",
                                         "Sockets", "WebSocket", "Gateway", "Multicast", "StreamClient", "Ticker", "LoadTest", "System", "Auth", "Codecs", "RateLimit",
                                         "WebPage"],
                          swiftSettings: swiftSettings, plugins: ["BuildStamp"]),
        .executableTarget(name: "quotecast-bench",
                          dependencies: ["Market", "ITCH", "MoldUDP64", "OrderBook", "Simulator", "Fanout", "Feed",
                                         "CRingBaseline", "WebSocket", "Sockets", "LoadTest", "Gateway", "StreamClient",
                                         "Multicast", "System", "KRX", "KRXBook", "KRXSimulator", "Auth", "Codecs"],
                          swiftSettings: swiftSettings),

        .testTarget(name: "CodecsTests", dependencies: ["Codecs", "Market"]),
        .testTarget(name: "RateLimitTests", dependencies: ["RateLimit"]),
        .testTarget(name: "AuthTests", dependencies: ["Auth", "Codecs", "Market"]),
        .testTarget(name: "MarketTests", dependencies: ["Market"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "MoldUDP64", "Market"]),
        .testTarget(name: "ITCHTests", dependencies: ["ITCH", "Market", "MoldUDP64", "PacketCapture"]),
        .testTarget(name: "MoldUDP64Tests", dependencies: ["MoldUDP64", "Market", "ITCH", "Sockets"]),
        .testTarget(name: "OrderBookTests", dependencies: ["OrderBook", "ITCH", "Market"]),
        .testTarget(name: "KRXTests", dependencies: ["KRX", "Market"]),
        .testTarget(name: "KRXBookTests", dependencies: ["KRXBook", "KRXSimulator", "KRX", "Market"]),
        .testTarget(name: "KRXSimulatorTests", dependencies: ["KRXSimulator", "KRX", "Market"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "OrderBook", "ITCH", "Market"]),
        .testTarget(name: "FanoutTests", dependencies: ["Fanout", "Market", "System", "CShim"]),
        .testTarget(name: "SystemTests", dependencies: ["System"]),
        .testTarget(name: "SocketsTests", dependencies: ["Sockets"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "Sockets", "CZlib", "Market", "RateLimit", "System"]),
        .testTarget(name: "FeedTests", dependencies: ["Feed", "PacketCapture", "ITCH", "Market", "MoldUDP64", "OrderBook", "Simulator", "Fanout",
                                                    "KRX", "KRXBook", "KRXSimulator",
                                                    "Sockets", "System"]),
        .testTarget(name: "MulticastTests", dependencies: ["Multicast", "Market", "MoldUDP64", "ITCH", "OrderBook", "Simulator", "Fanout",
                                                         "Feed", "Sockets", "System"]),
        .testTarget(name: "StreamClientTests", dependencies: ["StreamClient", "WebSocket", "Sockets", "Market", "Codecs"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Fanout", "Market", "WebSocket", "Sockets", "Auth", "Codecs",
                                                       "RateLimit", "System"]),
        .testTarget(name: "WebPageTests", dependencies: ["WebPage", "WebSocket"]),
        .testTarget(name: "TickerTests", dependencies: ["Ticker", "quotecast", "Market", "StreamClient", "WebSocket", "Sockets"]),
        .testTarget(name: "LoadTestTests", dependencies: ["LoadTest", "Market"]),
        .testTarget(name: "QuotecastTests", dependencies: ["quotecast", "Feed", "Market", "PacketCapture", "ITCH", "MoldUDP64", "OrderBook", "Sockets",
                                                         "StreamClient", "Multicast", "Auth", "Codecs"]),
    ],
    swiftLanguageModes: [.v6]
)
