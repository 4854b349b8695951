import Testing
@testable import WebSocket

/// RFC 7692 §5–7 negotiation as a table: `Sec-WebSocket-Extensions` offers (one or several headers)
/// and the answer each server mode gives, or nil when it declines.
@Suite struct DeflateNegotiationTests {
    static let both = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    func answer(_ headers: [String], _ mode: DeflateMode) -> String? {
        var configuration = DeflateConfiguration()
        configuration.mode = mode
        return DeflateNegotiation.negotiate(offers: headers, configuration: configuration)?.headerValue
    }

    @Test(arguments: [
        // What browsers and common clients send.
        ("permessage-deflate", both),
        ("permessage-deflate; client_max_window_bits", both),
        ("permessage-deflate;client_max_window_bits=15", both),
        ("PerMessage-Deflate ; Client_Max_Window_Bits", both),
        // The client's own no-context requests are echoed; the server adds the missing ones (§7.1.1).
        ("permessage-deflate; server_no_context_takeover", both),
        ("permessage-deflate; client_no_context_takeover; server_no_context_takeover", both),
        // server_max_window_bits must be answered with the same value or less (§7.1.2.1); shared
        // frames keep any window, 8 included (messages longer than the window go plain).
        ("permessage-deflate; server_max_window_bits=10", both + "; server_max_window_bits=10"),
        ("permessage-deflate; server_max_window_bits=8", both + "; server_max_window_bits=8"),
        ("permessage-deflate; server_max_window_bits=\"12\"", both + "; server_max_window_bits=12"),
        // Several offers: the first acceptable one wins; other extensions are passed over.
        ("x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=9", both + "; server_max_window_bits=9"),
        ("permessage-deflate; server_max_window_bits=11, permessage-deflate", both + "; server_max_window_bits=11"),
        // Invalid offers are declined, and the next one is taken.
        ("permessage-deflate; mystery=1, permessage-deflate; server_max_window_bits=13", both + "; server_max_window_bits=13"),
        ("permessage-deflate; server_max_window_bits=16, permessage-deflate", both),
        ("permessage-deflate; client_max_window_bits=\"1,5\", permessage-deflate; server_max_window_bits=14",
         both + "; server_max_window_bits=14"),
        ("permessage-deflate; server_max_window_bits ,permessage-deflate", both),
    ] as [(String, String?)])
    func sharedAnswers(offer: String, expected: String?) {
        #expect(answer([offer], .shared) == expected, "\(offer)")
    }

    @Test(arguments: [
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits",          // a value is required
        "permessage-deflate; server_max_window_bits=7",        // 8...15 only
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",      // no leading zero
        "permessage-deflate; server_max_window_bits=+9",
        "permessage-deflate; server_max_window_bits=9.0",
        "permessage-deflate; server_no_context_takeover=1",    // no value allowed
        "permessage-deflate; client_no_context_takeover=\"\"",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",  // repeated
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; mystery",                         // unknown parameter
        "permessage-deflate; client_max_window_bits=",         // malformed
        "permessage-deflate; client_max_window_bits=\"10",
        "permessage-deflate client_max_window_bits",
        "permessage-deflate;",
        ", ,",
        "",
    ])
    func invalidOffersAreDeclined(offer: String) {
        #expect(answer([offer], .shared) == nil, "\(offer)")
        #expect(answer([offer], .full) == nil, "\(offer)")
    }

    @Test func offersSpreadOverSeveralHeadersAreReadInOrder() {
        #expect(answer(["foo; bar=\"a,b\"", "permessage-deflate; server_max_window_bits=9"], .shared)
                == Self.both + "; server_max_window_bits=9")
        #expect(answer(["permessage-deflate; unknown", "permessage-deflate; server_max_window_bits=10"], .full)
                == "permessage-deflate; client_no_context_takeover; server_max_window_bits=10")
    }

    @Test func settingsOutOfZlibsRangeAreNamed() {
        #expect(DeflateConfiguration().problem == nil)
        var c = DeflateConfiguration()
        c.connectionWindowBits = 8  // zlib cannot keep a context in an 8-bit window
        #expect(c.problem?.contains("window") == true)
        c = DeflateConfiguration()
        c.level = 10
        #expect(c.problem?.contains("level") == true)
        c = DeflateConfiguration()
        c.sharedLargeMemoryLevel = 0
        #expect(c.problem?.contains("memory level") == true)
        c = DeflateConfiguration()
        c.sharedLargeMessageBytes = 40_000  // past DEFLATE's 32 KiB window: the fixed-Huffman encoder's limit
        #expect(c.problem?.contains("32768") == true)
    }

    @Test func offIsAlwaysDeclined() {
        #expect(answer(["permessage-deflate"], .off) == nil)
        #expect(answer(["permessage-deflate; server_no_context_takeover; client_no_context_takeover"], .off) == nil)
    }

    @Test(arguments: [
        // The server keeps its context (window 12 by default) unless asked not to.
        ("permessage-deflate", "permessage-deflate; client_no_context_takeover"),
        ("permessage-deflate; server_max_window_bits=10", "permessage-deflate; client_no_context_takeover; server_max_window_bits=10"),
        ("permessage-deflate; server_max_window_bits=15", "permessage-deflate; client_no_context_takeover; server_max_window_bits=12"),
        // zlib cannot keep a context in an 8-bit window: the shared, context-free frames instead.
        ("permessage-deflate; server_max_window_bits=8", both + "; server_max_window_bits=8"),
        ("permessage-deflate; server_no_context_takeover", both),
        // A client keeps its context only when it lets the server bound its window (to 12 by default).
        ("permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits=12"),
        ("permessage-deflate; client_max_window_bits=10", "permessage-deflate; client_max_window_bits=10"),
        ("permessage-deflate; client_max_window_bits=15", "permessage-deflate; client_max_window_bits=12"),
        ("permessage-deflate; client_no_context_takeover; client_max_window_bits", "permessage-deflate; client_no_context_takeover"),
        ("permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
         "permessage-deflate; server_no_context_takeover; client_max_window_bits=9"),
    ])
    func fullAnswers(offer: String, expected: String) {
        #expect(answer([offer], .full) == expected, "\(offer)")
    }

    @Test func theHandshakeStatesTheAgreement() {
        let request = HTTPRequest(method: "GET", target: "/echo", headers: [
            ("Host", "x"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
        ])
        let agreement = DeflateNegotiation.negotiate(request, configuration: DeflateConfiguration())
        let response = WebSocketHandshake.respond(to: request, deflate: agreement)
        #expect(response.status == .switchingProtocols)
        #expect(response.headers.filter { $0.0 == "Sec-WebSocket-Extensions" }.map(\.1) == [Self.both])
    }

    @Test func aClientAcceptsOnlyAnswersItCanFollow() throws {
        func agreement(_ values: [String], offeredClientWindow: Bool = true) throws(DeflateAnswerError) -> DeflateAgreement? {
            try DeflateNegotiation.agreement(answer: values, offeredClientWindow: offeredClientWindow)
        }
        #expect(try agreement([]) == nil)
        #expect(try agreement([Self.both]) == DeflateAgreement(serverNoContextTakeover: true, clientNoContextTakeover: true))
        #expect(try agreement(["permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"])
                == DeflateAgreement(serverNoContextTakeover: false, clientNoContextTakeover: false,
                                    serverMaxWindowBits: 10, clientMaxWindowBits: 9))
        #expect(throws: DeflateAnswerError.self) { try agreement(["permessage-deflate; client_max_window_bits=9"], offeredClientWindow: false) }
        #expect(throws: DeflateAnswerError.self) { try agreement(["permessage-deflate; client_max_window_bits"]) }
        #expect(throws: DeflateAnswerError.self) { try agreement(["permessage-deflate, permessage-deflate"]) }
        #expect(throws: DeflateAnswerError.self) { try agreement(["x-webkit-deflate-frame"]) }
        #expect(throws: DeflateAnswerError.self) { try agreement(["permessage-deflate; server_max_window_bits=16"]) }
        #expect(throws: DeflateAnswerError.self) { try agreement(["permessage-deflate; mystery"]) }
    }

    @Test func everyAnswerIsOneTheClientSideAccepts() throws {
        // The server's answers, read back by the client's check, give the same agreement.
        for mode in [DeflateMode.shared, .full] {
            for offer in ["permessage-deflate", "permessage-deflate; client_max_window_bits", "permessage-deflate; server_max_window_bits=9",
                          "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"] {
                var configuration = DeflateConfiguration()
                configuration.mode = mode
                let agreement = try #require(DeflateNegotiation.negotiate(offers: [offer], configuration: configuration))
                #expect(try DeflateNegotiation.agreement(answer: [agreement.headerValue], offeredClientWindow: offer.contains("client_max"))
                        == agreement, "\(mode) \(offer)")
            }
        }
    }
}

/// The `Sec-WebSocket-Extensions` list grammar: elements, parameters, quoting, and bad elements
/// that leave their neighbours alone.
@Suite struct ExtensionHeaderTests {
    @Test func elementsParametersAndQuotedValues() {
        let parsed = ExtensionHeader.parse(["a; x=1; y, b ;z=\"q\\\"uo,ted\"", "c"])
        #expect(parsed == [
            ExtensionElement(name: "a", parameters: [.init("x", "1"), .init("y")]),
            ExtensionElement(name: "b", parameters: [.init("z", "q\"uo,ted")]),
            ExtensionElement(name: "c"),
        ])
    }

    @Test func aMalformedElementIsNilAndTheRestSurvive() {
        #expect(ExtensionHeader.parse(["a b, c"]) == [nil, ExtensionElement(name: "c")])
        #expect(ExtensionHeader.parse(["a; =1, c"]) == [nil, ExtensionElement(name: "c")])
        #expect(ExtensionHeader.parse(["a; x=\"1,2\" junk, c"]) == [nil, ExtensionElement(name: "c")])
        #expect(ExtensionHeader.parse(["a; x=\"unterminated, c"]) == [nil])
        #expect(ExtensionHeader.parse(["\u{1}"]) == [nil])
        #expect(ExtensionHeader.parse([", ,  ,"]) == [])
    }
}
