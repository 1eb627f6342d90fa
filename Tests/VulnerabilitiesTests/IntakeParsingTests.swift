// Intake parsing without a database: the resumable JSON reader, SARIF streaming in arbitrary
// chunk sizes, the per-format parsers on real samples, and the crash-signature normalisation.
import Foundation
import Platform
import Testing
@testable import Vulnerabilities

@Suite struct IntakeParsingTests {
    static func sarifLog(results: Int, extraRunMember: Bool = true) -> [UInt8] {
        var items: [String] = []
        for i in 0..<results {
            items.append(#"{"ruleId":"CWE-787","message":{"text":"overflow \u00e9 \#(i)"},"fingerprints":{"stable/v1":"fp\#(i)"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/a.c"},"region":{"startLine":\#(i + 1)}}}]}"#)
        }
        let extra = extraRunMember ? #""artifacts":[{"location":{"uri":"src/a.c"}}],"# : ""
        return Array(#"{"version":"2.1.0","$schema":"x","runs":[{"tool":{"driver":{"name":"fuzzer-x"}},\#(extra)"results":[\#(items.joined(separator: ","))]}]}"#.utf8)
    }

    static func streamAll(_ bytes: [UInt8], chunk: Int) async throws -> [SARIFResultItem] {
        var offset = 0
        var out: [SARIFResultItem] = []
        try await SARIFStream.forEachResult(nextChunk: {
            guard offset < bytes.count else { return nil }
            defer { offset += chunk }
            return Array(bytes[offset..<min(bytes.count, offset + chunk)])
        }) { out.append($0) }
        return out
    }

    @Test(arguments: [1, 3, 7, 64, 100_000])
    func sarifResultsComeOutWhateverTheChunkSize(chunk: Int) async throws {
        let items = try await Self.streamAll(Self.sarifLog(results: 25), chunk: chunk)
        #expect(items.count == 25)
        #expect(items.map(\.index) == Array(0..<25))
        #expect(items[3].toolName == "fuzzer-x")
        #expect(items[3].result["message"]?["text"]?.string == "overflow é 3")
        #expect(items[24].path == "$.runs[0].results[24]")
    }

    @Test func streamingKeepsOnlyOneResultBuffered() throws {
        // Feed a 20,000-result log in 4 KiB chunks and check the buffer never holds more than a
        // chunk plus one result: the log as a whole is never in memory.
        let log = Self.sarifLog(results: 20_000)
        var stream = SARIFStream()
        var offset = 0, seen = 0, largest = 0
        while !stream.isFinished {
            while try stream.next() != nil { seen += 1 }
            largest = max(largest, stream.bufferedByteCount)
            if offset >= log.count { stream.finish(); while try stream.next() != nil { seen += 1 }; break }
            stream.feed(log[offset..<min(log.count, offset + 4096)])
            largest = max(largest, stream.bufferedByteCount)
            offset += 4096
        }
        #expect(seen == 20_000)
        #expect(largest < 4096 + 512)
    }

    @Test func malformedSARIFNamesTheByteAndKeepsEarlierResults() async throws {
        var bytes = Self.sarifLog(results: 5)
        // Break the fourth result's closing brace.
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: #"startLine":4}}}]}"#, with: #"startLine":4}}}] x"#)
        bytes = Array(text.utf8)
        var got = 0
        await #expect(throws: SARIFStreamError.self) {
            try await SARIFStream.forEachResult(nextChunk: { nil }) { _ in }
        }
        do {
            var sent = false
            try await SARIFStream.forEachResult(nextChunk: { if sent { return nil }; sent = true; return bytes }) { _ in got += 1 }
            Issue.record("malformed log accepted")
        } catch let error as SARIFStreamError {
            #expect(error.description.contains("expected ',' or '}'"))
        }
        #expect(got == 3)
    }

    @Test func wrongSARIFVersionIsRefused() async throws {
        let bytes = Array(#"{"version":"2.0.0","runs":[]}"#.utf8)
        var sent = false
        await #expect(throws: SARIFStreamError.self) {
            try await SARIFStream.forEachResult(nextChunk: { if sent { return nil }; sent = true; return bytes }) { _ in }
        }
    }

    @Test func everyTutorialSampleStreams() async throws {
        let folder = try #require(TestData.url("vulns/sarif/sarif-tutorials-samples"), "missing vulns/sarif under the data folder")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".sarif") }
        #expect(names.count >= 20)
        var total = 0
        for name in names {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
            let streamed = try await Self.streamAll(bytes, chunk: 97)
            let whole = try JSONDocument.parse(bytes)
            let expected = (whole["runs"]?.array ?? []).reduce(0) { $0 + ($1["results"]?.array?.count ?? 0) }
            #expect(streamed.count == expected, "\(name)")
            for item in streamed {
                if let draft = try? ReportParsers.sarifResult(item) { #expect(!draft.title.isEmpty) }
            }
            total += streamed.count
        }
        #expect(total > 20)
    }

    @Test func sarifResultUsesFingerprintsAndStacks() throws {
        let folder = try #require(TestData.url("vulns/sarif/sarif-tutorials-samples"), "missing vulns/sarif")
        let doc = try JSONDocument.parse(Array(try Data(contentsOf: folder.appendingPathComponent("ResultStacks.sarif"))))
        let item = SARIFResultItem(run: 0, index: 0, toolName: "SarifSamples", result: try #require(doc["runs"]?[0]?["results"]?[0]))
        let draft = try ReportParsers.sarifResult(item)
        #expect(draft.location == "collections/list.h:15")
        #expect(draft.crash?.frames.first == "collections::list::add_core")
        let withPrint = SARIFResultItem(run: 0, index: 1, toolName: "t", result: try JSONDocument.parse(Array(#"{"message":{"text":"m"},"partialFingerprints":{"primaryLocationLineHash":"abc:1"}}"#.utf8)))
        #expect(try ReportParsers.sarifResult(withPrint).submitterKey == "sarif:t:pfp:primaryLocationLineHash=abc:1")
        let bad = SARIFResultItem(run: 1, index: 7, toolName: "t", result: try JSONDocument.parse(Array(#"{"ruleId":"x","message":{}}"#.utf8)))
        #expect(throws: DomainError.invalid(field: "$.runs[1].results[7].message.text", reason: "is required")) {
            try ReportParsers.sarifResult(bad)
        }
    }

    @Test func osvRecordsFromPyPAParse() throws {
        let lines = try TestData.lines("vulns/pypa-advisory-database/pysec.osv.jsonl")
        var parsed = 0
        for line in lines.prefix(300) {
            let draft = try ReportParsers.osv(try JSONDocument.parse(Array(line.utf8)))
            #expect(draft.aliases.first?.hasPrefix("PYSEC-") == true)
            #expect(draft.packages.first?.ecosystem == "PyPI")
            parsed += 1
        }
        #expect(parsed == 300)
        let missing = try JSONDocument.parse(Array(#"{"id":"X-1","affected":[{"package":{"name":"a"}}],"modified":"2024-01-01T00:00:00Z"}"#.utf8))
        #expect(throws: DomainError.invalid(field: "$.affected[0].package.ecosystem", reason: "is required")) { try ReportParsers.osv(missing) }
    }

    @Test func bulkBodiesAreArraysOrJSONLinesWithBadLinesListed() {
        let lines = Array("{\"id\":\"A\"}\n{broken\n\n{\"id\":\"B\"}\n".utf8)
        let (documents, errors) = ReportParsers.records(lines)
        #expect(documents.map { $0["id"]?.string } == ["A", "B"])
        #expect(errors.map(\.path) == ["$[1]"])
        #expect(ReportParsers.records(Array("[{\"id\":\"A\"},{\"id\":\"B\"}]".utf8)).documents.count == 2)
    }

    @Test func cveRecordParses() throws {
        let record = #"""
        {"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2024-12345","assignerOrgId":"b3476cb9-2e3d-41a6-98d0-0f47421a65b6","state":"PUBLISHED","dateUpdated":"2024-05-01T00:00:00Z"},
         "containers":{"cna":{"providerMetadata":{"orgId":"b3476cb9-2e3d-41a6-98d0-0f47421a65b6"},"descriptions":[{"lang":"en","value":"Heap overflow in libfoo parse()."}],
          "affected":[{"vendor":"Foo","product":"libfoo","versions":[{"version":"1.0","lessThan":"1.4","status":"affected","versionType":"semver"}]}],
          "problemTypes":[{"descriptions":[{"lang":"en","description":"CWE-122","cweId":"CWE-122","type":"CWE"}]}],
          "metrics":[{"cvssV3_1":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8,"baseSeverity":"CRITICAL"}}]}}}
        """#
        let draft = try ReportParsers.cve5(try JSONDocument.parse(Array(record.utf8)))
        #expect(draft.aliases == ["CVE-2024-12345"])
        #expect(draft.weaknesses == ["CWE-122"])
        #expect(draft.packages == [AffectedPackage(ecosystem: "Foo", name: "libfoo", ranges: "introduced 1.0, fixed 1.4")])
        #expect(draft.cvssVectors.count == 1)
        let bad = try JSONDocument.parse(Array(#"{"dataType":"CVE_RECORD","cveMetadata":{"cveId":"CVE-24-1","state":"PUBLISHED"},"containers":{"cna":{}}}"#.utf8))
        #expect(throws: DomainError.invalid(field: "$.cveMetadata.cveId", reason: "must look like CVE-YYYY-NNNN")) { try ReportParsers.cve5(bad) }
    }

    @Test func submissionRejectsUnknownFieldsAndBadCVSSWithPaths() throws {
        func parse(_ text: String) throws -> ReportSubmission { try ReportParsers.submission(try JSONDocument.parse(Array(text.utf8))) }
        #expect(throws: DomainError.invalid(field: "$.titel", reason: "unknown field")) { try parse(#"{"title":"x","titel":"y"}"#) }
        #expect(throws: DomainError.self) { try parse(#"{"title":"x","cvss":"CVSS:3.1/AV:Q"}"#) }
        #expect(throws: DomainError.invalid(field: "$.evidence[0].content_base64", reason: "must be base64")) {
            try parse(#"{"title":"x","evidence":[{"name":"poc","content_base64":"%%%"}]}"#)
        }
        let ok = try parse(#"{"title":"Overflow","weakness":"cwe-0787","package":{"ecosystem":"PyPI","name":"Foo"},"affected":"<1.2","evidence":[{"name":"poc.py","content_base64":"cHJpbnQoMSk=","reproducer":true}]}"#)
        #expect(ok.draft.weaknesses == ["CWE-787"])
        #expect(ok.evidence.first?.content == Array("print(1)".utf8))
        #expect(!ok.draft.raw.contains("cHJpbnQ"))
        #expect(ok.tlp == .amber)
    }

    @Test func crashSignaturesIgnoreSanitizerFramesAddressesAndNumbers() {
        let a = CrashReport(type: "Heap-buffer-overflow READ 4", frames: [
            "#0 0x4f2a1 in __asan_memcpy", "#1 0x55d1 in png_read_row(png_struct*, unsigned char*) pngread.c:512:7",
            "#2 0x55e2 in png_read_image pngread.c:700", "#3 0x1 in decode<int>(Buf&) fuzz.cc:9", "#4 0x2 in LLVMFuzzerTestOneInput",
        ])
        let b = CrashReport(type: "Heap-buffer-overflow READ 8", frames: [
            "#0 0x7ffe in malloc", "#1 0xdead in png_read_row(png_struct*, unsigned char*) pngread.c:515:2",
            "#2 0xbeef in png_read_image pngread.c:702", "#3 0x3 in decode<long>(Buf&) fuzz.cc:10",
        ])
        #expect(CrashSignature.signature(a) == "heap-buffer-overflow read N\npng_read_row\npng_read_image\ndecode")
        #expect(CrashSignature.normaliseFrame("#1 0x5 in ssl3_read_bytes.cold.12 s3.c:9") == "ssl3_read_bytes.cold.N")
        #expect(CrashSignature.normaliseFrame("ssl3_read") != CrashSignature.normaliseFrame("ssl2_read"))
        #expect(CrashSignature.signature(a) == CrashSignature.signature(b))
        let c = CrashReport(type: "Heap-buffer-overflow READ 4", frames: ["png_write_row", "png_read_image", "decode"])
        #expect(CrashSignature.signature(c) != CrashSignature.signature(a))
        #expect(CrashSignature.signature(CrashReport(type: "x", frames: ["malloc", "LLVMFuzzerTestOneInput"])) == nil)
    }
}
