import Foundation
import Testing

/// The command line as users and scripts see it: help, errors naming the flag, exit statuses.
@Suite struct CLITests {
    @Test func topLevelHelpListsEveryCommand() throws {
        let r = try QuotecastProcess.run(["--help"])
        #expect(r.status == 0)
        for command in ["serve", "feed", "gateway", "simulate", "replay", "book", "ticker", "load", "token"] {
            #expect(r.stdout.contains("  \(command) "), "missing \(command)")
        }
    }

    @Test(arguments: ["serve", "book", "simulate", "feed", "gateway", "replay", "ticker", "load", "token"])
    func everyCommandHasHelp(command: String) throws {
        let r = try QuotecastProcess.run([command, "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("usage: quotecast \(command)"))
    }

    @Test func badFlagsExitTwoWithOneLineNamingTheFlag() throws {
        let cases: [([String], String)] = [
            (["book", "x.itch", "--format", "xml"], "--format"),
            (["book", "x.itch", "--bogus"], "--bogus"),
            (["book", "x.itch", "--depth", "11"], "--depth"),
            (["serve", "--rate", "fast"], "--rate"),
            (["serve", "--feed", "tcp://x"], "--feed"),
            (["serve", "--ring-capacity", "1000"], "--ring-capacity"),
            (["simulate", "--output", "/tmp/x", "--messages", "1"], "--messages"),
            (["simulate", "--output", "/tmp/x", "--messages", "100", "--symbols", "A,A"], "--symbols"),
            (["gateway"], "--upstream"),
            (["gateway", "--upstream", "10.0.0.1:5000"], "--upstream"),
            (["gateway", "--upstream", "239.1.1.1:5000", "--channels", "0"], "--channels"),
            (["gateway", "--upstream", "239.255.255.250:5000", "--channels", "10"], "--channels"),
            (["gateway", "--upstream", "239.1.1.1:5000", "--service", "239.1.1.2:1"], "--service"),
            (["gateway", "--upstream", "239.1.1.1:5000", "--drop", "2"], "--drop"),
            (["gateway", "--upstream", "239.1.1.1:5000", "--max-datagram", "100"], "--max-datagram"),
            (["feed", "--publish", "239.1.1.1:5000", "--payload-size", "200"], "--payload-size"),
            (["feed", "--publish", "239.1.1.1:5000", "--payload-size", "70000"], "--payload-size"),
            (["gateway", "--upstream", "239.1.1.1:5000", "--client-buffer", "5000", "--client-buffer-max", "4096"], "--client-buffer-max"),
            (["serve", "--wait", "busy"], "--wait"),
            (["serve", "--resume-history", "-1"], "--resume-history"),
            (["gateway", "--upstream", "239.1.1.1:5000", "--resume-history", "many"], "--resume-history"),
            (["feed", "--publish", "239.1.1.1:5000", "--wait", "sleepy"], "--wait"),
            (["gateway", "--upstream", "239.1.1.1:5000", "--wait", ""], "--wait"),
        ]
        for (args, flag) in cases {
            let r = try QuotecastProcess.run(args)
            #expect(r.status == 2, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(flag), "\(args): \(r.stderr)")
        }
        #expect(try QuotecastProcess.run(["nonsense"]).status == 2)
        #expect(try QuotecastProcess.run([]).status == 2)
    }

    @Test func unreadableInputIsAClearErrorNotACrash() throws {
        let r = try QuotecastProcess.run(["book", "/nonexistent/file.itch"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot read /nonexistent/file.itch"))
    }
}
