// Number parsing as users type it on the command line and in files, and the RFC 4180 reader.

import Foundation
import Testing
@testable import Frontier

@Test func acceptsScientificAndPlainNumbers() throws {
    #expect(try FrontierNumber.parse("70e9", field: "--parameters") == 70e9)
    #expect(try FrontierNumber.parse("7.0e10", field: "--parameters") == 7.0e10)
    #expect(try FrontierNumber.parse("1.5E+25", field: "--x") == 1.5e25)
    #expect(try FrontierNumber.parse("405000000000", field: "--x") == 405e9)
}

@Test func rejectsUnitsAndSuffixesNamingTheFlag() {
    for text in ["1e25 FLOP", "70B", "7e10params"] {
        let error = frontierError { try FrontierNumber.parse(text, field: "--parameters") }
        #expect(error?.path == "--parameters")
        if case .wrongUnits = error {} else { Issue.record("expected wrongUnits for \(text), got \(String(describing: error))") }
    }
    #expect(FrontierNumber.parse("inf") == nil)
    #expect(FrontierNumber.parse("nan") == nil)
    #expect(FrontierNumber.parse("e9") == nil)
    #expect(FrontierNumber.parse("") == nil)
}

@Test func csvHandlesQuotesEmbeddedNewlinesAndCRLF() throws {
    let text = "a,b,c\r\n1,\"x, \"\"quoted\"\"\ny\",3\r\n,\"\",\n4,5,6"
    let records = try CSVParser.parse(text)
    #expect(records.count == 4)
    #expect(records[1].fields == ["1", "x, \"quoted\"\ny", "3"])
    #expect(records[2].fields == ["", "", ""])
    #expect(records[3].fields == ["4", "5", "6"])
    #expect(records[3].line == 5)  // the embedded newline moved the physical line on
}

@Test func csvTrailingNewlineAddsNoRecord() throws {
    #expect(try CSVParser.parse("a,b\n1,2\n").count == 2)
}

@Test func csvRejectsMalformedQuoting() {
    #expect(throws: FrontierError.csv(line: 2, reason: "quoted field is never closed")) {
        try CSVParser.parse("a,b\n\"open,2\n")
    }
    #expect(throws: FrontierError.self) { try CSVParser.parse("a,b\nx\"y,2\n") }
    #expect(throws: FrontierError.self) { try CSVParser.parse("a,b\n\"x\"y,2\n") }
}

@Test func csvTableRejectsRaggedRows() {
    #expect(throws: FrontierError.csv(line: 3, reason: "1 fields where the header has 2")) {
        try CSVTable(text: "a,b\n1,2\n3\n")
    }
}
