import Foundation
import Market
import Testing
@testable import ITCH

/// Our ITCH layouts and decoder against the field tables of Nasdaq's specification, read from the PDF
/// by `scripts/itch-spec-fields` into `Fixtures/itch/spec-fields.csv`: an oracle nobody here typed in.
/// The encoder and decoder share `Messages.swift`, so a mistake made the same way in both passes every
/// round-trip test; it cannot pass these.
@Suite struct SpecFieldTests {
    /// The specification's fields, or a recorded failure when the CSV cannot be read.
    static func fields() throws -> [SpecField] {
        let fields = try SpecFields.load()
        #expect(fields.count > 150, "only \(fields.count) rows in \(SpecFields.csv.path)")
        return fields
    }

    @Test func everyMessageTypeHasTheSpecifiedLength() throws {
        let byType = SpecFields.byType(try Self.fields())
        #expect(Set(byType.keys) == Set(itchMessageLengths.map(\.type)), "the CSV's types and the decoder's")
        for (type, fields) in byType {
            let specified = fields.map { $0.offset + $0.length }.max()!
            #expect(ITCHDecoder.expectedLength(of: type) == specified, "type \(Character(UnicodeScalar(type)))")
        }
    }

    @Test func everySpecifiedFieldHasItsLayoutOffset() throws {
        let fields = try Self.fields()
        for field in fields {
            guard let accessor = SpecFieldAccessor.of(field) else {
                Issue.record("no accessor for \(field)")
                continue
            }
            #expect(accessor.layoutOffset == field.offset, "\(field): layout says \(accessor.layoutOffset)")
        }
        // And nothing in the table that the specification does not have (a renamed or dropped field).
        let keys = Set(fields.map(\.key))
        for key in SpecFieldAccessor.table.keys where !keys.contains(key) {
            Issue.record("accessor \(key) names no field of the specification")
        }
    }

    /// Which bytes each accessor really reads, measured: a message of the specified length filled with
    /// seeded random bytes; every byte but the type is flipped in turn, and the accessor's value must
    /// change exactly for the bytes the specification gives the field. A wrong offset or width in a
    /// layout, a `u16` where the table says 4 bytes, a shifted symbol: each fails here.
    @Test func everyAccessorReadsExactlyItsSpecifiedBytes() throws {
        let seed: UInt64 = 0x5EED_0017 // fixed: a run is repeatable; printed with any failure
        var rng = SplitMix64(seed: seed)
        for (type, fields) in SpecFields.byType(try Self.fields()) {
            let length = fields.map { $0.offset + $0.length }.max()!
            var message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            message[0] = type
            for field in fields {
                guard let accessor = SpecFieldAccessor.of(field) else { continue } // reported above
                let baseline = try Self.decoded(message, accessor)
                #expect(baseline == message.withUnsafeBytes { field.read($0) }, "\(field), seed \(seed)")
                var reads: [Int] = field.offset == 0 ? [0] : []
                for position in 1..<length {
                    var flipped = message
                    flipped[position] ^= 0xFF
                    if try Self.decoded(flipped, accessor) != baseline { reads.append(position) }
                }
                #expect(reads == Array(field.offset..<field.offset + field.length),
                        "\(field): the accessor reads bytes \(reads) (seed \(seed))")
            }
        }
    }

    static func decoded(_ bytes: [UInt8], _ accessor: SpecFieldAccessor) throws -> DecodedField? {
        var value: DecodedField?
        try decodeMessage(bytes) { value = accessor.read($0) }
        return value
    }

    /// What comparing every field of a day-file found.
    struct Comparison {
        var messages = 0
        var undecodable = 0
        var fields = 0
        var differences = 0
        var end = DayFileEnd.complete
    }

    /// Every message of a day-file, every field: our decoder's value against the specification's
    /// reader. Records an issue for each of the first 10 differences.
    static func compareEveryField(of path: String) throws -> Comparison {
        let byType = SpecFields.byType(try fields())
        var result = Comparison()
        result.end = try DayFileReader(path: path).forEach { framed in
            result.messages += 1
            guard case .message(let message) = framed.decode() else {
                result.undecodable += 1
                return
            }
            for field in byType[framed.type!] ?? [] {
                guard let accessor = SpecFieldAccessor.of(field) else { continue }
                let ours = accessor.read(message)
                let specified = field.read(framed.bytes)
                result.fields += 1
                if ours != specified {
                    result.differences += 1
                    if result.differences <= 10 {
                        Issue.record("\(path) message \(result.messages): \(field): decoder \(ours.map(String.init(describing:)) ?? "nil"), specification \(specified)")
                    }
                }
            }
        }
        return result
    }

    /// The committed fixtures, written by our encoder (the edge cases end in a truncated final
    /// message, which is not compared; since a frame of an unknown type or length ends a day-file's
    /// walk as garbage, they hold neither).
    @Test(arguments: [("sim-seed7.itch", 0, DayFileEnd.complete),
                      ("edge-cases.itch", 0, DayFileEnd.truncated(offset: 941, declaredLength: 36, available: 10))])
    func committedFixturesDecodeAsTheSpecificationReadsThem(name: String, undecodable: Int, end: DayFileEnd) throws {
        let path = NasdaqCapture.root.appendingPathComponent("Fixtures").appendingPathComponent(name).path
        let result = try Self.compareEveryField(of: path)
        #expect(result.differences == 0)
        #expect(result.undecodable == undecodable && result.end == end)
        #expect(result.messages > 0 && result.fields >= result.messages * 5,
                "\(result.messages) messages, \(result.fields) fields compared")
    }

    /// The real capture (Nasdaq's own bytes, not our encoder's): 1000 messages of 11 types.
    @Test(.enabled(if: NasdaqCapture.isPresent, "the real Nasdaq capture is not in ../shared/fixtures"))
    func realCaptureDecodesAsTheSpecificationReadsIt() throws {
        let result = try Self.compareEveryField(of: NasdaqCapture.path)
        #expect(result.differences == 0)
        #expect(result.messages == 1000 && result.undecodable == 0 && result.end == .complete)
        #expect(result.fields >= result.messages * 5, "\(result.fields) fields compared")
    }
}
