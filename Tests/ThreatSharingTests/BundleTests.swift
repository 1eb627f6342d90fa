// Ingest bodies: bundles and envelopes, whole-body errors, and the real ATT&CK for ICS bundle.
import Foundation
import Platform
import Testing
@testable import ThreatSharing

@Suite struct BundleTests {
    @Test func readsABundleAndAnEnvelope() throws {
        let bundle = try StixIngest.readBody(Data(#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}]}"#.utf8))
        #expect(bundle.shape == .bundle(id: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"))
        #expect(bundle.objects.count == 1)
        let envelope = try StixIngest.readBody(Data(#"{"objects":[]}"#.utf8))
        #expect(envelope.shape == .envelope)
        #expect(envelope.objects.isEmpty)
    }

    @Test func oneBadObjectFailsAloneWithItsIndexInThePath() throws {
        let body = StixIngestBody(shape: .envelope, objects: [Samples.indicator, Samples.indicator.setting("valid_from", "tomorrow"), Samples.ipv4])
        let outcomes = StixIngest.validate(body)
        #expect(outcomes.map { (try? $0.result.get()) != nil } == [true, false, true])
        guard case .failure(let v) = outcomes[1].result else { Issue.record("accepted"); return }
        #expect(v.path == "$.objects[1].valid_from")
        #expect(outcomes[1].reportedId == "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
    }

    @Test(arguments: [
        (#"{"objects": [1,"#, "$"),
        (#"[1,2]"#, "$"),
        (#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":{}}"#, "$.objects"),
        (#"{"more":false}"#, "$"),
        (#"{"type":"indicator","objects":[]}"#, "$.type"),
        (#"{"type":"bundle","id":"report--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[]}"#, "$.id"),
    ])
    func refusesBodiesThatAreNotBundlesOrEnvelopes(_ text: String, _ path: String) {
        do {
            _ = try StixIngest.readBody(Data(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.path == path)
            let taxii = TAXIIRequestError.invalidBody(error)
            #expect(taxii.httpStatus == 400)
            #expect(taxii.resource.details?["path"] == path)
        }
    }

    @Test(arguments: [
        #"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3","x":{"a":["]}\\\"{",[{}]]}}, {"type":"x"} ]}"#,
        #" {"objects":[]} "#,
        #"{"type":"bundle"}"#,
        #"{"more":false,"objects":[1,"two",[3],null]}"#,
    ])
    func locatingObjectsAgreesWithReadingTheWholeBody(_ text: String) throws {
        let whole = try StixIngest.readBody(Data(text.utf8))
        let lazy = try StixIngest.locateObjects(Data(text.utf8))
        #expect(lazy.shape == whole.shape)
        #expect(try lazy.objects(0..<lazy.count) == whole.objects)
    }

    @Test(arguments: [
        #"{"objects": [1,"#, #"[1,2]"#, #"{"objects":[],"objects":[]}"#, #"{"objects":[{"a":1,"a":2}]}"#, #"{"objects":[] } x"#,
        #"{"type":"indicator","objects":[]}"#, #"{"objects":[{"a":]}]}"#, #"{"objects":[tru]}"#, #"{"objects":{}}"#, #"{"more":fals,"objects":[]}"#,
    ])
    func locatingObjectsRefusesWhatReadingRefuses(_ text: String) {
        var refused = false
        do {
            let lazy = try StixIngest.locateObjects(Data(text.utf8))
            _ = try lazy.objects(0..<lazy.count)
        } catch { refused = true }
        #expect(refused, "accepted \(text)")
        #expect((try? StixIngest.readBody(Data(text.utf8))) == nil)
    }

    @Test func theWriterRoundTripsAndEscapes() throws {
        let value: JSONValue = ["b": [1, 2.5, "x\"y\\z\n\u{1}é/", nil, true], "a": ["z": false, "y": -7], "": 1e20]
        let text = StixJSONWriter.string(value)
        #expect(try JSONValue.parse(Data(text.utf8)) == value)
        #expect(text == (#"{"":1e+20,"a":{"y":-7,"z":false},"b":[1,2.5,"x\"y\\z\n\u0001é/",null,true]}"#))
        // Escapes at either end, only escapes, nothing at all, and a long plain run.
        let edges: JSONValue = ["k": ["\"", "\n\t", "", "end\\", "\u{1F}start", .string(String(repeating: "plain ü ", count: 40))]]
        let edgesText = StixJSONWriter.string(edges)
        #expect(try JSONValue.parse(Data(edgesText.utf8)) == edges)
        #expect(edgesText.hasPrefix(#"{"k":["\"","\n\t","","end\\","\u001fstart","plain ü"#))
    }

    @Test(.enabled(if: TestData.icsAttackBundle.map { FileManager.default.fileExists(atPath: $0.path) } ?? false,
                   "needs ../shared/data/stix/ics-attack-18.1.json"))
    func attackForICSValidatesCompletely() throws {
        let url = try #require(TestData.icsAttackBundle)
        let data = try Data(contentsOf: url)
        let clock = ContinuousClock()
        var body: StixIngestBody?
        let parseTime = try clock.measure { body = try StixIngest.readBody(data) }
        var outcomes: [StixObjectOutcome] = []
        let validateTime = clock.measure { outcomes = body.map { StixIngest.validate($0) } ?? [] }
        let failures = outcomes.compactMap { outcome -> StixViolation? in
            if case .failure(let v) = outcome.result { return v } else { return nil }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(outcomes.count == 1826)
        let summaries = outcomes.compactMap { try? $0.result.get() }
        #expect(summaries.filter { $0.type == "relationship" }.count == 1373)
        #expect(summaries.allSatisfy { $0.tlp == nil }, "ATT&CK carries only a copyright statement, no TLP")
        #expect(Set(summaries.map(\.id)).count == 1826)
        print("ATT&CK for ICS: \(outcomes.count) objects, \(data.count) bytes: parse \(parseTime), validate \(validateTime)")
    }
}
