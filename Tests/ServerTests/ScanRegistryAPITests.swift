// The scan registry and the case forms over real HTTP on both engines: campaigns declared,
// "who is scanning X" answered in one request, overlaps shown to both parties that may see each
// other and never to an outsider (answers, counts, 404s identical to a missing campaign); the
// pages with their forms, CSRF and errors next to the field; evidence attached to a case by form.
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Platform
@testable import Server
import Testing
import TestSupport

@Suite struct ScanRegistryAPITests {
    static func campaign(_ title: String, targets: [String], from: String, to: String, share: [String] = []) throws -> String {
        let object: [String: Any] = ["title": title, "targets": targets, "starts_at": from, "ends_at": to, "method": "fuzzing", "share_orgs": share]
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test(arguments: Engine.available)
    func whoIsScanningOverHTTP(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (_, a) = try await h.member(org: "Lab A", kind: .aiDeveloper)
            let (_, b) = try await h.member(org: "Lab B", kind: .aiDeveloper)
            let (_, outsider) = try await h.member(org: "Lab C", kind: .aiDeveloper)
            let declaredA = try await h.request(.post, "/api/v1/scans", token: a, json: try Self.campaign(
                "Fuzz zlib", targets: ["pkg:github/madler/zlib", "https://github.com/madler/zlib"], from: "2030-01-01T00:00:00Z", to: "2030-02-01T00:00:00Z",
                share: ["Lab B"]))
            #expect(declaredA.status == .created)
            let idA = try #require((try declaredA.json()["campaign"] as? [String: Any])?["id"] as? String)
            #expect((try declaredA.json()["overlaps"] as? [Any])?.isEmpty == true)
            let declaredB = try await h.request(.post, "/api/v1/scans", token: b, json: try Self.campaign(
                "Agent on zlib", targets: ["pkg:github/madler/zlib@v1.3.1"], from: "2030-01-15T00:00:00Z", to: "2030-03-01T00:00:00Z", share: ["Lab A"]))
            let idB = try #require((try declaredB.json()["campaign"] as? [String: Any])?["id"] as? String)
            // The second party is told at once; the first sees it on its campaign.
            #expect(((try declaredB.json()["overlaps"] as? [[String: Any]])?.map { $0["id"] as? String }) == [idA])
            let showA = try await h.request(.get, "/api/v1/scans/\(idA)", token: a)
            #expect(((try showA.json()["overlaps"] as? [[String: Any]])?.map { $0["org_name"] as? String }) == ["Lab B"])
            let declaredC = try await h.request(.post, "/api/v1/scans", token: outsider, json: try Self.campaign(
                "Quiet zlib review", targets: ["https://github.com/madler/zlib.git"], from: "2030-01-10T00:00:00Z", to: "2030-01-20T00:00:00Z"))
            let idC = try #require((try declaredC.json()["campaign"] as? [String: Any])?["id"] as? String)
            #expect((try declaredC.json()["overlaps"] as? [Any])?.isEmpty == true)
            #expect(((try await h.request(.get, "/api/v1/scans/\(idA)", token: a).json()["campaign"] as? [String: Any])?["overlap_count"] as? Int) == 1)

            // Who is scanning zlib 1.3.1 on 20 January: one request.
            let who = "/api/v1/scans?target=pkg%3Agithub%2Fmadler%2Fzlib%40v1.3.1&at=2030-01-20T00:00:00Z"
            let seenByA = try await h.request(.get, who, token: a)
            #expect(try seenByA.json()["total"] as? Int == 2)
            #expect(((try seenByA.json()["items"] as? [[String: Any]])?.map { $0["id"] as? String }) == [idA, idB])
            let seenByOutsider = try await h.request(.get, who, token: outsider)
            #expect(try seenByOutsider.json()["total"] as? Int == 0)
            let repo = try await h.request(.get, "/api/v1/scans?target=https%3A%2F%2Fgithub.com%2Fmadler%2Fzlib", token: outsider)
            #expect(((try repo.json()["items"] as? [[String: Any]])?.map { $0["id"] as? String }) == [idC])
            #expect(((try repo.json()["items"] as? [[String: Any]])?.first?["overlap_count"] as? Int) == 0)
            #expect(try await h.request(.get, "/api/v1/scans", token: outsider).json()["total"] as? Int == 1)
            #expect(try await h.request(.get, "/api/v1/scans", token: h.adminToken).json()["total"] as? Int == 3)
            // Same problem whether the campaign exists or not.
            let hidden = try await h.request(.get, "/api/v1/scans/\(idA)", token: outsider)
            let missing = try await h.request(.get, "/api/v1/scans/\(UUID().uuidString.lowercased())", token: outsider)
            #expect(hidden.status == .notFound && missing.status == .notFound)
            #expect(NSDictionary(dictionary: try hidden.json()) == NSDictionary(dictionary: try missing.json()))

            // Bad input names its place.
            let bad = try await h.request(.post, "/api/v1/scans", token: a, json: try Self.campaign(
                "x", targets: ["pkg:npm/left-pad", "cpe:2.3:a:vendor"], from: "2030-01-01T00:00:00Z", to: "2030-01-02T00:00:00Z"))
            #expect((bad.status.code == 400 || bad.status.code == 422) && bad.text.contains("$.targets[1]"))
            let badTime = try await h.request(.post, "/api/v1/scans", token: a, json: try Self.campaign(
                "x", targets: ["pkg:npm/left-pad"], from: "tomorrow", to: "2030-01-02T00:00:00Z"))
            #expect((badTime.status.code == 400 || badTime.status.code == 422) && badTime.text.contains("$.starts_at"))
            let badQuery = try await h.request(.get, "/api/v1/scans?target=pkg%3Anpm", token: a)
            #expect(badQuery.status.code == 400 || badQuery.status.code == 422)

            // Ending early: the other party may not; the owner may, with a reason.
            let notYours = try await h.request(.post, "/api/v1/scans/\(idA)/end", token: b, json: #"{"reason":"mine now"}"#)
            #expect(notYours.status == .forbidden)
            let ended = try await h.request(.post, "/api/v1/scans/\(idA)/end", token: a, json: #"{"reason":"cancelled"}"#)
            #expect(ended.status == .ok)
            #expect(try ended.json()["status"] as? String == "ended early")
            #expect(try await h.request(.get, who, token: a).json()["total"] as? Int == 1)
        }
    }

    @Test(arguments: Engine.available)
    func scanPagesAndCaseFormsOverHTTP(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let web = WebTests()
            let (member, _) = try await h.member(org: "Lab A", kind: .aiDeveloper)
            let (outsiderUser, _) = try await h.member(org: "Lab C", kind: .aiDeveloper)
            let (_, adminCookie) = try await web.signIn(h, password: h.adminPassword)
            let admin = "ch_session=\(try #require(adminCookie))"
            let (_, memberCookie) = try await web.signIn(h, name: member.name, password: "member password 1")
            let lab = "ch_session=\(try #require(memberCookie))"
            let (_, outsiderCookie) = try await web.signIn(h, name: outsiderUser.name, password: "member password 1")
            let outsider = "ch_session=\(try #require(outsiderCookie))"
            let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            func post(_ path: String, _ fields: [String: String], cookie: String) async throws -> TestResponse {
                var headers = formType
                headers[.cookie] = cookie
                return try await h.request(.post, path, json: web.form(fields), headers: headers)
            }

            // Declaring by form: a bad target is shown next to the targets box with its line.
            let newPage = try await h.request(.get, "/vulns/scans/new", headers: [.cookie: lab])
            let csrf = try #require(web.hiddenCSRF(newPage.text))
            let fields = ["_csrf": csrf, "title": "Fuzz curl", "targets": "pkg:github/curl/curl\ncpe:2.3:a:haxx", "starts_at": "2030-01-01T00:00:00Z",
                          "ends_at": "2030-01-08T00:00:00Z", "method": "fuzzing", "tlp": "amber"]
            let refused = try await post("/vulns/scans", fields, cookie: lab)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains(#"id="scan-targets-error" role="alert">Error: line 2 ($.targets[1])"#))
            #expect(refused.text.contains(#"aria-describedby="scan-targets-error""#) && refused.text.contains("Fuzz curl"))
            var good = fields
            good["targets"] = "pkg:github/curl/curl\nhttps://github.com/curl/curl"
            let declared = try await post("/vulns/scans", good, cookie: lab)
            #expect(declared.status == .seeOther || declared.status == .found)
            let location = try #require(declared.headers[.location])
            #expect(try await h.request(.get, location, headers: [.cookie: lab]).text.contains("No campaign you may see overlaps this one"))
            let forged = try await post("/vulns/scans", good.merging(["_csrf": "nope"]) { $1 }, cookie: lab)
            #expect(forged.status == .forbidden)

            // Who is scanning, by page: the owner finds it, the outsider finds nothing and cannot open it.
            let search = "/vulns/scans?target=https%3A%2F%2Fgithub.com%2Fcurl%2Fcurl&at=2030-01-02T00%3A00%3A00Z"
            let found = try await h.request(.get, search, headers: [.cookie: lab])
            #expect(found.text.contains("<caption>1 campaigns scanning https://github.com/curl/curl at 2030-01-02 00:00 UTC</caption>") && found.text.contains("Fuzz curl"))
            let notFound = try await h.request(.get, search, headers: [.cookie: outsider])
            #expect(notFound.text.contains("<caption>0 campaigns scanning") && !notFound.text.contains("Fuzz curl"))
            #expect(try await h.request(.get, location, headers: [.cookie: outsider]).status == .notFound)
            let badSearch = try await h.request(.get, "/vulns/scans?target=cpe%3A2.3%3Aa", headers: [.cookie: lab])
            #expect(badSearch.status == .badRequest && badSearch.text.contains(#"id="who-error""#))

            // The case page's forms: SSVC, notify, thread, evidence; errors next to the field.
            let made = try await h.request(.post, "/api/v1/vulns/reports", token: h.adminToken, json: #"{"title":"Overflow in inflate"}"#)
            let caseId = try #require(try made.json()["case_id"] as? String)
            let casePath = "/vulns/cases/\(caseId)"
            let page = try await h.request(.get, casePath, headers: [.cookie: admin])
            let token = try #require(web.hiddenCSRF(page.text))
            #expect(page.text.contains("Record SSVC decision points") && page.text.contains("Notify a vendor"))
            let noReason = try await post("\(casePath)/ssvc", ["_csrf": token, "exploitation": "A", "automatable": "Y", "technical_impact": "T",
                                                                "mission_well_being": "H"], cookie: admin)
            #expect(noReason.status == .unprocessableContent && noReason.text.contains(#"id="ssvc-r-error">Error: is required"#))
            #expect(noReason.text.contains(#"<option value="A" selected>"#))
            let ssvc = try await post("\(casePath)/ssvc", ["_csrf": token, "exploitation": "A", "automatable": "Y", "technical_impact": "T",
                                                           "mission_well_being": "H", "reason": "exploited, wormable"], cookie: admin)
            #expect(ssvc.status == .seeOther || ssvc.status == .found)
            #expect(try await h.request(.get, casePath, headers: [.cookie: admin]).text.contains("<dd>Act</dd>"))
            let unknownVendor = try await post("\(casePath)/vendors", ["_csrf": token, "org": "Nobody Inc", "reason": "maintains it"], cookie: admin)
            #expect(unknownVendor.status == .unprocessableContent && unknownVendor.text.contains(#"id="notify-o-error">Error: names no organisation"#))
            _ = try await post("\(casePath)/vendors", ["_csrf": token, "org": "Lab A", "reason": "maintains inflate"], cookie: admin)
            // The vendor's member now reads the case, states its status and writes in the thread; the outsider still gets 404.
            let vendorPage = try await h.request(.get, casePath, headers: [.cookie: lab])
            #expect(vendorPage.status == .ok && !vendorPage.text.contains("Record SSVC decision points"))
            let vendorToken = try #require(web.hiddenCSRF(vendorPage.text))
            let labOrg = try #require(try await h.directory.organisation(named: "Lab A"))
            let stated = try await post("\(casePath)/vendor-status", ["_csrf": vendorToken, "org": labOrg.id, "status": "affected",
                                                                    "statement": "1.3 and later"], cookie: lab)
            #expect(stated.status == .seeOther || stated.status == .found)
            let emptyMessage = try await post("\(casePath)/messages", ["_csrf": vendorToken, "body": "  "], cookie: lab)
            #expect(emptyMessage.status == .unprocessableContent && emptyMessage.text.contains(#"id="message-b-error">Error: must be 1 to 20000 characters"#))
            _ = try await post("\(casePath)/messages", ["_csrf": vendorToken, "body": "Patch in review"], cookie: lab)
            let afterThread = try await h.request(.get, casePath, headers: [.cookie: admin])
            #expect(afterThread.text.contains("<p>Patch in review</p>") && afterThread.text.contains("<td>1.3 and later</td>"))
            let outsiderToken = try #require(web.hiddenCSRF(try await h.request(.get, "/vulns/scans/new", headers: [.cookie: outsider]).text))
            let outsiderPost = try await post("\(casePath)/messages", ["_csrf": outsiderToken, "body": "hi"], cookie: outsider)
            #expect(outsiderPost.status == .notFound)

            // Evidence by multipart form: sealed, listed with its digest, downloadable by readers of the case.
            let boundary = "----chboundary7"
            let bytes: [UInt8] = [0x41, 0x00, 0xff, 0x0d, 0x0a, 0x42]
            func multipart(_ csrf: String, file: [UInt8]?) -> ByteBuffer {
                var body = ByteBuffer()
                body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n")
                body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"reproducer\"\r\n\r\n1\r\n")
                body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"crash.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                body.writeBytes(file ?? [])
                body.writeString("\r\n--\(boundary)--\r\n")
                return body
            }
            let multipartHeaders: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)", .cookie: lab]
            let emptyFile = try await h.client.execute(uri: "\(casePath)/evidence", method: .post, headers: multipartHeaders, body: multipart(vendorToken, file: nil))
            #expect(emptyFile.status == .unprocessableContent && String(buffer: emptyFile.body).contains(#"id="evidence-f-error">Error: choose a file to attach"#))
            let badCSRF = try await h.client.execute(uri: "\(casePath)/evidence", method: .post, headers: multipartHeaders, body: multipart("x", file: bytes))
            #expect(badCSRF.status == .forbidden)
            let uploaded = try await h.client.execute(uri: "\(casePath)/evidence", method: .post, headers: multipartHeaders, body: multipart(vendorToken, file: bytes))
            #expect(uploaded.status == .seeOther || uploaded.status == .found)
            let listed = try await h.request(.get, "/api/v1/vulns/cases/\(caseId)/evidence", token: h.adminToken)
            let item = try #require((try listed.json()["items"] as? [[String: Any]])?.first)
            #expect(item["name"] as? String == "crash.bin" && item["reproducer"] as? Bool == true && item["size"] as? Int == bytes.count)
            #expect(item["sha256"] as? String == Secrets.sha256Hex(bytes))
            let download = try await h.request(.get, "/api/v1/vulns/cases/\(caseId)/evidence/\(try #require(item["id"] as? String))", token: h.adminToken)
            #expect(Array(download.body.readableBytesView) == bytes)
            #expect(try await h.request(.get, casePath, headers: [.cookie: admin]).text.contains(Secrets.sha256Hex(bytes)))
            // The API takes the file as the body, its name and role as query parameters.
            let apiPath = "/api/v1/vulns/cases/\(caseId)/evidence"
            let badFlag = try await h.client.execute(uri: apiPath + "?name=trace.txt&reproducer=maybe", method: .post,
                                                     headers: [.authorization: "Bearer \(h.adminToken)"], body: ByteBuffer(string: "trace"))
            #expect(badFlag.status == .unprocessableContent && String(buffer: badFlag.body).contains("reproducer"))
            let viaAPI = try await h.client.execute(uri: apiPath + "?name=trace.txt", method: .post,
                                                    headers: [.authorization: "Bearer \(h.adminToken)"], body: ByteBuffer(string: "trace"))
            #expect(viaAPI.status == .created)
            #expect(try await h.request(.get, apiPath, token: h.adminToken).json()["items"].map { ($0 as? [Any])?.count } == 2)
        }
    }
}
