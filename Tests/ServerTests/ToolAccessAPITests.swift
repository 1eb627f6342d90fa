// The tool access programme over real HTTP: the documented routes are the served ones; a provider
// lists an offering, defenders record profiles and request with a purpose, the provider decides
// (a grant with dates, the automatic wait-list when full, a reason required to decline), the
// defender reports usage and ends the grant early, the freed place goes to the wait-list; who may
// see which request and grant; and the same through the web forms, with CSRF and field errors.
import Foundation
import HTTPTypes
import HummingbirdTesting
import Platform
import Defenders
@testable import Server
import Testing
import TestSupport

@Suite struct ToolAccessAPITests {
    @Test func documentedRoutesAreTheServedRoutes() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: try OpenAPIDocument.merged()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths where path.hasPrefix("/api/v1/tools") {
            for method in operations.keys { documented.insert("\(method) \(path)") }
        }
        #expect(documented == Set(ToolAccessController.routes.map { "\($0.method) \($0.path)" }))
    }

    static func day(_ offset: Int) -> String { ToolDates.day(Date().addingTimeInterval(Double(offset) * 86_400)) }

    @Test(arguments: Engine.available)
    func decisionFlowCapacityUsageAndAccess(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (_, lab) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let (_, hospital) = try await h.member(org: "Rural Hospital", kind: .defender)
            let (_, clinic) = try await h.member(org: "County Clinic", kind: .defender)
            let (_, bank) = try await h.member(org: "Community Bank", kind: .defender)
            let (_, coordinator) = try await h.member(org: "CISA", kind: .government, role: .reviewer)

            let created = try await h.request(.post, "/api/v1/tools/offerings", token: lab, json: """
                {"name":"Log triage","capabilities":["log triage"],"sectors":["healthcare"],"max_employees":500,"capacity":1,"terms":"No PHI leaves your network"}
                """)
            #expect(created.status == .created)
            let offering = try #require(try created.json()["id"] as? String)
            let refused = try await h.request(.post, "/api/v1/tools/offerings", token: hospital, json: #"{"name":"x","capabilities":["y"],"capacity":1}"#)
            #expect(refused.status == .forbidden)
            let badModel = try await h.request(.post, "/api/v1/tools/offerings", token: lab,
                                               json: #"{"name":"x","capabilities":["y"],"capacity":1,"model_version_id":"nope"}"#)
            #expect(try badModel.status == .unprocessableContent && (badModel.json()["detail"] as? String)?.contains("$.model_version_id") == true)

            #expect(try await h.request(.get, "/api/v1/tools/profile", token: hospital).json()["recorded"] as? Bool == false)
            for (token, sector) in [(hospital, "healthcare"), (clinic, "healthcare"), (bank, "finance")] {
                let saved = try await h.request(.post, "/api/v1/tools/profile", token: token, json: #"{"sector":"\#(sector)","employees":60,"jurisdiction":"MT"}"#)
                #expect(saved.status == .ok)
            }
            #expect(try await h.request(.get, "/api/v1/tools/profile", token: hospital).json()["sector"] as? String == "healthcare")
            let bankView = try await h.request(.get, "/api/v1/tools/offerings/\(offering)", token: bank).json()
            #expect(bankView["eligible"] as? Bool == false)
            #expect(bankView["ineligible_reasons"] as? [String] == ["open to the healthcare sector(s); yours is finance"])
            #expect(try await h.request(.get, "/api/v1/tools/offerings?eligible=true", token: bank).json()["total"] as? Int == 0)
            #expect(try await h.request(.get, "/api/v1/tools/offerings?eligible=true", token: hospital).json()["total"] as? Int == 1)
            let ineligible = try await h.request(.post, "/api/v1/tools/offerings/\(offering)/requests", token: bank, json: #"{"purpose":"fraud"}"#)
            #expect(ineligible.status == .unprocessableContent)

            let noPurpose = try await h.request(.post, "/api/v1/tools/offerings/\(offering)/requests", token: hospital, json: #"{"purpose":""}"#)
            #expect(try noPurpose.status == .unprocessableContent && (noPurpose.json()["detail"] as? String)?.contains("$.purpose") == true)
            let r1 = try await h.request(.post, "/api/v1/tools/offerings/\(offering)/requests", token: hospital, json: #"{"purpose":"Nightly EHR log triage"}"#)
            #expect(r1.status == .created)
            let hospitalRequest = try #require(try r1.json()["id"] as? String)
            let clinicRequest = try #require(try await h.request(.post, "/api/v1/tools/offerings/\(offering)/requests", token: clinic,
                                                                 json: #"{"purpose":"Phishing triage"}"#).json()["id"] as? String)

            // Who sees the requests: each defender its own, the provider and coordinators all, others none.
            #expect(try await h.request(.get, "/api/v1/tools/requests", token: hospital).json()["total"] as? Int == 1)
            #expect(try await h.request(.get, "/api/v1/tools/requests", token: lab).json()["total"] as? Int == 2)
            #expect(try await h.request(.get, "/api/v1/tools/requests?state=requested", token: coordinator).json()["total"] as? Int == 2)
            #expect(try await h.request(.get, "/api/v1/tools/requests", token: bank).json()["total"] as? Int == 0)
            #expect(try await h.request(.get, "/api/v1/tools/requests/\(hospitalRequest)", token: bank).status == .notFound)
            #expect(try await h.request(.get, "/api/v1/tools/requests/\(hospitalRequest)", token: clinic).status == .notFound)

            let noReason = try await h.request(.post, "/api/v1/tools/requests/\(clinicRequest)/decision", token: lab, json: #"{"decision":"declined"}"#)
            #expect(try noReason.status == .unprocessableContent && (noReason.json()["detail"] as? String)?.contains("$.reason") == true)
            let badDate = try await h.request(.post, "/api/v1/tools/requests/\(hospitalRequest)/decision", token: lab,
                                              json: #"{"decision":"approved","starts_at":"soon","ends_at":"\#(Self.day(90))"}"#)
            #expect(try badDate.status == .unprocessableContent && (badDate.json()["detail"] as? String)?.contains("$.starts_at") == true)
            let hijack = try await h.request(.post, "/api/v1/tools/requests/\(hospitalRequest)/decision", token: clinic,
                                             json: #"{"decision":"approved","starts_at":"\#(Self.day(-1))","ends_at":"\#(Self.day(90))"}"#)
            #expect(hijack.status == .notFound)

            let approved = try await h.request(.post, "/api/v1/tools/requests/\(hospitalRequest)/decision", token: lab,
                                               json: #"{"decision":"approved","starts_at":"\#(Self.day(-1))","ends_at":"\#(Self.day(90))"}"#).json()
            let grant = try #require(approved["grant"] as? [String: Any])
            let grantId = try #require(grant["id"] as? String)
            #expect(grant["status"] as? String == "active")
            #expect((grant["ends_at"] as? String)?.hasPrefix(Self.day(90)) == true)
            // Full: the coordinator's approval of the clinic puts it on the wait-list.
            let full = try await h.request(.post, "/api/v1/tools/requests/\(clinicRequest)/decision", token: coordinator,
                                           json: #"{"decision":"approved","starts_at":"\#(Self.day(0))","ends_at":"\#(Self.day(30))"}"#).json()
            #expect((full["request"] as? [String: Any])?["state"] as? String == "waitlisted")
            #expect((full["note"] as? String)?.contains("at capacity") == true && full["grant"] == nil)
            let place = try await h.request(.get, "/api/v1/tools/offerings/\(offering)", token: hospital).json()
            #expect(place["places_taken"] as? Int == 1 && place["waiting"] as? Int == 1 && place["own_request"] as? String == "approved")

            // Usage, by the defender and the provider; summarised on the offering.
            let usage = try await h.request(.post, "/api/v1/tools/grants/\(grantId)/usage", token: hospital, json: """
                {"period_start":"\(Self.day(-1))","period_end":"\(Self.day(1))","measure":"findings","quantity":7,"outcome":"2 brute-force bursts found"}
                """)
            #expect(usage.status == .created)
            _ = try await h.request(.post, "/api/v1/tools/grants/\(grantId)/usage", token: lab,
                                    json: #"{"period_start":"\#(Self.day(-1))","period_end":"\#(Self.day(0))","measure":"hours","quantity":1.5}"#)
            let badMeasure = try await h.request(.post, "/api/v1/tools/grants/\(grantId)/usage", token: hospital,
                                                 json: #"{"period_start":"\#(Self.day(-1))","period_end":"\#(Self.day(0))","measure":"vibes","quantity":1}"#)
            #expect(try badMeasure.status == .unprocessableContent && (badMeasure.json()["detail"] as? String)?.contains("$.measure") == true)
            #expect(try await h.request(.post, "/api/v1/tools/grants/\(grantId)/usage", token: bank,
                                        json: #"{"period_start":"\#(Self.day(-1))","period_end":"\#(Self.day(0))","measure":"hours","quantity":1}"#).status == .notFound)
            let summary = try #require(try await h.request(.get, "/api/v1/tools/offerings/\(offering)", token: bank).json()["usage"] as? [String: Any])
            let measures = try #require(summary["measures"] as? [[String: Any]])
            #expect(measures.map { $0["measure"] as? String } == ["findings", "hours"])
            #expect(measures.first?["total"] as? Double == 7)
            let detail = try await h.request(.get, "/api/v1/tools/grants/\(grantId)", token: coordinator).json()
            #expect((detail["usage"] as? [[String: Any]])?.count == 2)
            #expect(try await h.request(.get, "/api/v1/tools/grants/\(grantId)", token: clinic).status == .notFound)
            #expect(try await h.request(.get, "/api/v1/tools/grants", token: clinic).json()["total"] as? Int == 0)

            // The hospital ends early; the provider offers the freed place to the wait-list.
            let ended = try await h.request(.post, "/api/v1/tools/grants/\(grantId)/end", token: hospital, json: #"{"reason":"project finished"}"#).json()
            #expect(ended["status"] as? String == "ended" && ended["end_reason"] as? String == "project finished")
            #expect(try await h.request(.post, "/api/v1/tools/grants/\(grantId)/end", token: lab, json: "{}").status == .conflict)
            let next = try await h.request(.post, "/api/v1/tools/offerings/\(offering)/offer-next", token: lab,
                                           json: #"{"starts_at":"\#(Self.day(0))","ends_at":"\#(Self.day(60))"}"#).json()
            #expect((next["request"] as? [String: Any])?["id"] as? String == clinicRequest)
            #expect((next["grant"] as? [String: Any])?["org_name"] as? String == "County Clinic")

            #expect(try await h.request(.get, "/api/v1/tools/coverage", token: coordinator).status == .ok)
            #expect(try await h.request(.get, "/api/v1/tools/coverage", token: hospital).status == .notFound)
            let retired = try await h.request(.post, "/api/v1/tools/offerings/\(offering)/retire", token: lab, json: #"{"reason":"replaced"}"#).json()
            #expect(retired["retired"] as? Bool == true)
            #expect(try await h.request(.get, "/api/v1/tools/offerings", token: hospital).json()["total"] as? Int == 0)
            let unknown = try await h.request(.post, "/api/v1/tools/profile", token: hospital, json: #"{"sector":"water","employees":1,"jurisdiction":"MT","x":1}"#)
            #expect(unknown.status == .unprocessableContent)
        }
    }

    @Test(arguments: Engine.available)
    func webFormsWithCSRFAndFieldErrors(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let web = WebTests()
            let (labUser, _) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let (hospitalUser, _) = try await h.member(org: "Rural Hospital", kind: .defender)
            func session(_ name: String) async throws -> HTTPFields {
                let (_, cookie) = try await web.signIn(h, name: name, password: "member password 1")
                return [.cookie: "ch_session=\(try #require(cookie))", .contentType: "application/x-www-form-urlencoded"]
            }
            let labHeaders = try await session(labUser.name), hospitalHeaders = try await session(hospitalUser.name)

            let blank = try await h.request(.get, "/tools/offerings/new", headers: labHeaders)
            let csrf = try #require(web.hiddenCSRF(blank.text))
            #expect(blank.text.contains(#"<label for="o-capacity">"#))
            var fields = ["_csrf": csrf, "name": "Phish check", "cap_3": "1", "sector_healthcare": "1", "jurisdictions": "MT, WY", "capacity": ""]
            let forged = try await h.request(.post, "/tools/offerings", json: web.form(fields.merging(["_csrf": "guess"]) { $1 }), headers: labHeaders)
            #expect(forged.status == .forbidden)
            let missing = try await h.request(.post, "/tools/offerings", json: web.form(fields), headers: labHeaders)
            #expect(missing.status == .unprocessableContent)
            #expect(missing.text.contains(#"<span class="field-error" id="o-capacity-error">is required</span>"#))
            #expect(missing.text.contains(#"aria-describedby="o-capacity-error""#) && missing.text.contains("MT, WY"), "the message sits at the field; typing is kept")
            fields["capacity"] = "1"
            let created = try await h.request(.post, "/tools/offerings", json: web.form(fields), headers: labHeaders)
            #expect(created.status == .seeOther)
            let offeringPath = try #require(created.headers[.location])

            let profilePage = try await h.request(.get, "/tools/profile", headers: hospitalHeaders)
            let hcsrf = try #require(web.hiddenCSRF(profilePage.text))
            let badProfile = try await h.request(.post, "/tools/profile", json: web.form(["_csrf": hcsrf, "sector": "healthcare", "employees": "lots", "jurisdiction": "MT"]),
                                                 headers: hospitalHeaders)
            #expect(badProfile.status == .unprocessableContent && badProfile.text.contains(#"id="p-employees-error">must be a whole number"#))
            #expect(try await h.request(.post, "/tools/profile", json: web.form(["_csrf": hcsrf, "sector": "healthcare", "employees": "45", "jurisdiction": "MT/Glacier County"]),
                                        headers: hospitalHeaders).status == .seeOther)
            let list = try await h.request(.get, "/tools?eligible=true", headers: hospitalHeaders)
            #expect(list.text.contains("Phish check") && list.text.contains("Eligible"))

            let noPurpose = try await h.request(.post, offeringPath + "/requests", json: web.form(["_csrf": hcsrf, "purpose": ""]), headers: hospitalHeaders)
            #expect(noPurpose.status == .unprocessableContent && noPurpose.text.contains(#"id="r-purpose-error""#))
            let requested = try await h.request(.post, offeringPath + "/requests", json: web.form(["_csrf": hcsrf, "purpose": "check staff e-mail"]), headers: hospitalHeaders)
            #expect(requested.status == .seeOther)
            let requestPath = try #require(requested.headers[.location])
            #expect(try await h.request(.get, requestPath, headers: hospitalHeaders).text.contains("Requested, awaiting a decision"))
            #expect(!(try await h.request(.get, requestPath, headers: hospitalHeaders).text.contains("Record the decision")), "the defender cannot decide")

            let decline = try await h.request(.post, requestPath + "/decision", json: web.form(["_csrf": csrf, "decision": "declined", "reason": ""]), headers: labHeaders)
            #expect(decline.status == .unprocessableContent && decline.text.contains(#"id="d-reason-error">is required when wait-listing or declining"#))
            let approve = try await h.request(.post, requestPath + "/decision",
                                              json: web.form(["_csrf": csrf, "decision": "approved", "starts_at": Self.day(-1), "ends_at": Self.day(30)]), headers: labHeaders)
            #expect(approve.status == .ok && approve.text.contains("granted from"))
            let offeringPage = try await h.request(.get, offeringPath, headers: labHeaders)
            #expect(offeringPage.text.contains("1 of 1 places taken") && offeringPage.text.contains("Rural Hospital"))
            let grantPath = try #require(offeringPage.text.components(separatedBy: "href=\"/tools/grants/").dropFirst().first?.prefix { $0 != "\"" })
            let usage = try await h.request(.post, "/tools/grants/\(grantPath)/usage",
                                            json: web.form(["_csrf": hcsrf, "period_start": Self.day(-1), "period_end": Self.day(0), "measure": "findings", "quantity": "x"]),
                                            headers: hospitalHeaders)
            #expect(usage.status == .unprocessableContent && usage.text.contains(#"id="u-quantity-error">must be a number"#))
            #expect(try await h.request(.post, "/tools/grants/\(grantPath)/usage",
                                        json: web.form(["_csrf": hcsrf, "period_start": Self.day(-1), "period_end": Self.day(0), "measure": "findings", "quantity": "4"]),
                                        headers: hospitalHeaders).status == .seeOther)
            #expect(try await h.request(.get, offeringPath, headers: hospitalHeaders).text.contains("<td>findings</td><td>4</td>"))
        }
    }
}
