// The ingest JSON reader: exact values for valid input, a clean error for hostile input.
import Foundation
import Testing
@testable import Platform

@Suite struct JSONParserTests {
    @Test func readsValuesExactly() throws {
        let v = try JSONValue.parse(Data(#" {"a":[1,-2.5e1,true,false,null],"s":"\u00e9\ud83d\ude00\n\"x\"/","big":12345678901234567890} "#.utf8))
        #expect(v["a"] == [1, -25.0, true, false, nil])
        #expect(v["s"] == "é😀\n\"x\"/")
        #expect(v["big"] == .double(1.2345678901234567e19))
        #expect(try JSONValue.parse(Data("\u{FEFF}[]".utf8)) == [])
    }

    @Test func encodedOutputParsesBackToTheSameValue() throws {
        let original: JSONValue = [
            "type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
            "created": "2016-05-12T08:17:27.000Z", "name": "Spear Phishing \u{e9}", "x_score": 3, "x_ratio": 0.5,
            "kill_chain_phases": [["kill_chain_name": "lockheed", "phase_name": "delivery"]], "revoked": false, "x_none": nil,
        ]
        #expect(try JSONValue.parse(original.encoded()) == original)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"a\u{01}\"", "tru", "[1] 2",
        "{\"a\":1,\"a\":2}", "\"\\ud800\"", String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
        "NaN", "1e999",
    ])
    func refusesMalformed(_ text: String) {
        #expect(throws: JSONValueError.self) { try JSONValue.parse(Data(text.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONValueError.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
    }

    @Test func duplicateMarkingsAreNamed() {
        let body = #"{"object_marking_refs":["a"],"object_marking_refs":["b"]}"#
        #expect(throws: JSONValueError.malformed(reason: "duplicate member name 'object_marking_refs' at byte 29")) {
            try JSONValue.parse(Data(body.utf8))
        }
    }
}
