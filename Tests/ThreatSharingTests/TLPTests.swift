// TLP: a wrong id or ordering would let a GREEN reader see AMBER or RED objects.
import Platform
import Testing
@testable import ThreatSharing

@Suite struct TLPTests {
    @Test func ordersFromClearToRed() {
        #expect(TLPLevel.allCases == [.clear, .green, .amber, .amberStrict, .red])
        #expect(TLPLevel.green < .amber && TLPLevel.amber < .amberStrict && TLPLevel.amberStrict < .red)
    }

    @Test func mapsOfficialIdentifiersBothWays() {
        for level in TLPLevel.allCases {
            #expect(TLPLevel(markingDefinitionId: level.markingDefinitionId) == level)
        }
        #expect(TLPLevel.amberStrict.markingDefinitionId == "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003")
        #expect(TLPLevel.red.markingDefinitionId == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")
        #expect(TLPLevel(markingDefinitionId: TLPMarkings.v1White) == .clear)
        #expect(TLPLevel(markingDefinitionId: TLPMarkings.v1Amber) == .amber)
        #expect(TLPLevel(markingDefinitionId: TLPMarkings.v1Red) == .red)
        #expect(TLPLevel(markingDefinitionId: Samples.statement) == nil)
    }

    @Test func highestMarkingWinsAndNoneMeansCollectionDefault() {
        #expect(TLPLevel.highest(markingRefs: [TLPMarkings.v2Green, Samples.statement, TLPMarkings.v2AmberStrict, TLPMarkings.v1Amber]) == .amberStrict)
        #expect(TLPLevel.highest(markingRefs: [TLPMarkings.v1Red, TLPMarkings.v2Clear]) == .red)
        #expect(TLPLevel.highest(markingRefs: [Samples.statement]) == nil)
        #expect(TLPLevel.of(Samples.attackPattern) == .green)
        #expect(TLPLevel.of(Samples.indicator) == nil)
    }

    @Test func parsesLevelNamesAsTheCLIAcceptsThem() {
        #expect(TLPLevel(name: "amber+strict") == .amberStrict)
        #expect(TLPLevel(name: "TLP:WHITE") == .clear)
        #expect(TLPLevel(name: "Green") == .green)
        #expect(TLPLevel(name: "purple") == nil)
        #expect(TLPLevel.amberStrict.label == "TLP:AMBER+STRICT")
    }

    @Test func officialMarkingObjectValidatesAndCarriesTheExtension() throws {
        let object = TLPLevel.amber.markingDefinition
        #expect(object["extensions"]?[TLPMarkings.tlp2ExtensionDefinition]?["tlp_2_0"] == "amber")
        #expect(try StixValidator().validate(object).get().id == TLPMarkings.v2Amber)
    }

    @Test func readsRedRecipients() throws {
        let red = Samples.indicator
            .setting("object_marking_refs", [.string(TLPMarkings.v2Red)])
            .setting(TLPRecipients.propertyName, [" alice ", "bob", "alice"])
        #expect(try TLPRecipients.read(from: red) == ["alice", "bob"])
        let summary = try StixValidator().validate(red).get()
        #expect(summary.tlp == .red)
        #expect(summary.recipients == ["alice", "bob"])
        #expect(try TLPRecipients.read(from: Samples.indicator) == nil)
        #expect(throws: TLPRecipients.Malformed(reason: .emptyString)) {
            try TLPRecipients.read(from: red.setting(TLPRecipients.propertyName, ["  "]))
        }
        #expect(throws: TLPRecipients.Malformed(reason: .wrongKind(expected: "user name string", found: "number"))) {
            try TLPRecipients.read(from: red.setting(TLPRecipients.propertyName, [3]))
        }
    }
}
