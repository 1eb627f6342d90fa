// The `next` cursor must survive a round trip through any server process and turn garbage
// into a clean 400, never a crash or a silently reset position.
import Platform
import Testing
@testable import ThreatSharing

@Suite struct CursorTests {
    @Test(arguments: [
        PageCursor(dateAdded: StixTimestamp(microseconds: 0), sequence: 0),
        PageCursor(dateAdded: StixTimestamp(microseconds: 1_763_042_400_188_123), sequence: 1_000_000),
        PageCursor(dateAdded: .maximum, sequence: Int64.max),
        PageCursor(dateAdded: .minimum, sequence: 7),
    ])
    func roundTrips(_ cursor: PageCursor) throws {
        let token = cursor.token
        #expect(token.count == 28)
        #expect(token.utf8.allSatisfy { c in (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95 })
        #expect(try PageCursor(token: token) == cursor)
    }

    @Test func ordersByDateAddedThenSequence() {
        let t = StixTimestamp(microseconds: 5)
        #expect(PageCursor(dateAdded: t, sequence: 1) < PageCursor(dateAdded: t, sequence: 2))
        #expect(PageCursor(dateAdded: t, sequence: 9) < PageCursor(dateAdded: StixTimestamp(microseconds: 6), sequence: 0))
    }

    @Test func everySingleCharacterChangeIsDetected() throws {
        let token = PageCursor(dateAdded: StixTimestamp(microseconds: 1_763_042_400_188_123), sequence: 4242).token
        var chars = Array(token)
        for i in chars.indices {
            let original = chars[i]
            chars[i] = original == "A" ? "B" : "A"
            #expect(throws: CursorError.self, "position \(i)") { try PageCursor(token: String(chars)) }
            chars[i] = original
        }
    }

    @Test(arguments: [
        ("", CursorError.wrongLength), ("abc", .wrongLength), (String(repeating: "A", count: 29), .wrongLength),
        (String(repeating: "=", count: 28), .notBase64URL), (String(repeating: "/", count: 28), .notBase64URL),
        (String(repeating: "A", count: 28), .unknownVersion),
    ])
    func garbageIsACleanError(_ token: String, _ expected: CursorError) {
        #expect(throws: expected) { try PageCursor(token: token) }
    }

    @Test func aForgedButWellFormedCursorOnlyMovesPosition() throws {
        // Forging needs no secret by design; the decoded position is still range-checked.
        var bytes: [UInt8] = [1]
        PageCursor.appendBigEndian(UInt64(bitPattern: Int64.max), to: &bytes)
        PageCursor.appendBigEndian(1, to: &bytes)
        let sum = PageCursor.checksum(bytes)
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: sum >> UInt32(shift))) }
        #expect(throws: CursorError.outOfRange) { try PageCursor(token: Base64URL.encode(bytes)) }
    }

    @Test func queryParsingMapsCursorErrorsToTAXII400() {
        #expect(throws: TAXIIRequestError.invalidCursor(reason: CursorError.wrongLength.description)) {
            try TAXIIQuery.parse([(name: "next", value: "xyz")], endpoint: .objects)
        }
    }
}
