import Testing
import WebSocket
@testable import WebPage

/// The page's files as the server answers them: every one embedded, small, cacheable by tag, under a
/// policy that lets through only what the page needs.
@Suite struct WebPageTests {
    private func file(_ path: String) throws -> WebPage.File {
        try #require(WebPage.files.first { $0.path == path }, "no file served at \(path)")
    }

    private func get(_ path: String, _ headers: [(name: String, value: String)] = []) throws -> HTTPResponse {
        WebPage.response(for: try file(path), to: HTTPRequest(method: "GET", target: path, headers: headers))
    }

    private func header(_ response: HTTPResponse, _ name: String) -> String? {
        response.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    @Test func theHTMLLoadsItsStyleAndScriptFromFilesThatAreServed() throws {
        let html = String(decoding: try file("/").body, as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains("<link rel=\"stylesheet\" href=\"app.css"))
        #expect(html.contains("<script src=\"app.js"))
        // The policy forbids inline code: the page must have none (an inline handler or style is refused).
        #expect(!html.contains("<script>") && !html.contains("<style") && !html.contains(" onclick=") && !html.contains(" style="))
        #expect(try file("/app.js").contentType == "text/javascript; charset=utf-8")
        #expect(try file("/app.css").contentType == "text/css; charset=utf-8")
        #expect(try file("/").contentType == "text/html; charset=utf-8")
    }

    @Test func thePageStaysUnderItsBudget() {
        #expect(WebPage.totalBytes < 100_000, "the page is \(WebPage.totalBytes) bytes, over 100 KB")
        #expect(WebPage.files.count >= 3)
    }

    @Test func everyFileCarriesATagCachingRulesAndThePolicy() throws {
        for file in WebPage.files {
            let response = try get(file.path)
            #expect(response.status == .ok)
            #expect(response.body == file.body)
            #expect(header(response, "ETag") == file.etag && file.etag.count == 34 && file.etag.hasPrefix("\""))
            #expect(header(response, "Cache-Control") == "no-cache")
            #expect(header(response, "Referrer-Policy") == "no-referrer")
            let policy = try #require(header(response, "Content-Security-Policy"))
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'")
                    && policy.contains("connect-src 'self'") && !policy.contains("unsafe"))
        }
        #expect(Set(WebPage.files.map(\.etag)).count == WebPage.files.count, "two files share a tag")
    }

    @Test func aKnownTagIsAnsweredNotModifiedWithoutABody() throws {
        let tag = try file("/app.js").etag
        for value in [tag, "W/\(tag)", "\"other\", \(tag)", "*"] {
            let response = try get("/app.js", [("If-None-Match", value)])
            #expect(response.status == .notModified, "If-None-Match: \(value)")
            #expect(response.body.count == 0)
            #expect(header(response, "ETag") == tag)
            let wire = String(decoding: response.serialized(keepAlive: true), as: UTF8.self)
            #expect(wire.hasPrefix("HTTP/1.1 304 Not Modified\r\n") && !wire.contains("Content-Length"))
        }
        #expect(try get("/app.js", [("If-None-Match", "\"stale\"")]).status == .ok)
        #expect(try get("/app.js", [("If-None-Match", try file("/").etag)]).status == .ok)
    }
}
