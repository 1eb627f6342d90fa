# Generates Sources/Server/OpenAPI/frontier.json (run by hand; output committed).
import json
P = {"$ref": "#/components/responses/Problem"}
def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def ok(schema, code="200"): return {code: {"description": "OK" if code == "200" else "Created", "content": {"application/json": {"schema": schema}}}}
def op(opid, summary, resp, body=None, code="200", params=None):
    o = {"operationId": opid, "summary": summary, "tags": ["frontier"], "responses": {**ok(resp, code), "401": P, "403": P, "404": P, "409": P, "422": P}}
    if body is not None:
        o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params: o["parameters"] = params
    return o
idp = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
page = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}, {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}]
def pageOf(n): return {"type": "object", "required": ["items", "limit", "offset"], "properties": {"items": {"type": "array", "items": ref(n)}, "limit": {"type": "integer"}, "offset": {"type": "integer"}, "total": {"type": "integer"}}}
num = {"type": "number"}; s = {"type": "string"}; dt = {"type": "string", "format": "date-time"}
def obj(req, props, extra=False):
    o = {"type": "object", "required": req, "properties": props}
    if not extra: o["additionalProperties"] = False
    return o
label = obj(["tlp"], {"tlp": {"type": "string", "enum": ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]}, "orgs": {"type": "array", "items": s}, "users": {"type": "array", "items": s}, "compartments": {"type": "array", "items": s}})
interval = obj(["low", "flop", "high"], {"low": num, "flop": num, "high": num})
schemas = {
 "FrontierLabel": label,
 "FrontierInterval": interval,
 "FrontierModel": obj(["id", "name", "developer_org", "created_at", "label"], {"id": s, "name": s, "developer_org": s, "created_at": dt, "label": ref("FrontierLabel")}),
 "FrontierModelDetail": obj(["model", "versions"], {"model": ref("FrontierModel"), "versions": {"type": "array", "items": ref("FrontierVersion")}}),
 "FrontierVersion": obj(["id", "model_id", "model_name", "version", "modalities", "architecture", "has_endpoint_credential", "created_at", "developer_org", "label"], {
   "id": s, "model_id": s, "model_name": s, "version": s, "modalities": {"type": "array", "items": s}, "architecture": {"type": "string", "enum": ["dense", "mixture-of-experts"]},
   "total_parameters": num, "active_parameters": num, "training_tokens": num, "training_hardware": s, "training_started": s, "training_ended": s, "planned_release": s,
   "endpoint_url": s, "has_endpoint_credential": {"type": "boolean"}, "released_at": dt, "created_at": dt, "developer_org": s, "label": ref("FrontierLabel")}),
 "FrontierLedgerItem": obj(["id", "position", "label", "category", "method", "basis", "compute"], {"id": s, "position": {"type": "integer"}, "label": s, "category": s, "method": {"type": "string", "enum": ["architecture", "hardware", "declared"]}, "basis": s, "compute": ref("FrontierInterval")}),
 "FrontierVerdict": obj(["policy", "version", "verdict", "explanation", "item_decisions"], {"policy": s, "version": s, "verdict": {"type": "string", "enum": ["exceeds", "does-not-exceed", "indeterminate"]}, "explanation": s, "counted_compute": ref("FrontierInterval"),
   "item_decisions": {"type": "array", "items": obj(["label", "category", "counts", "reason"], {"label": s, "category": s, "counts": {"type": "boolean"}, "reason": s})}}),
 "FrontierDesignation": obj(["id", "inquiry_id", "designation", "rationale", "recorded_at", "recorded_by", "reviewer_org", "label"], {"id": s, "inquiry_id": s, "designation": {"type": "string", "enum": ["covered", "not-covered", "deferred"]}, "rationale": s, "recorded_at": dt, "recorded_by": s, "reviewer_org": s, "label": ref("FrontierLabel")}),
 "FrontierInquiry": obj(["id", "version_id", "question", "opened_at", "opened_by", "designations"], {"id": s, "version_id": s, "question": s, "opened_at": dt, "opened_by": s, "designations": {"type": "array", "items": ref("FrontierDesignation")}}),
 "FrontierWindow": obj(["id", "version_id", "starts_at", "ends_at", "terms_version", "status", "time_remaining", "invitees"], {"id": s, "version_id": s, "starts_at": dt, "ends_at": dt, "terms_version": s, "withdrawn_at": dt,
   "status": {"type": "string", "enum": ["scheduled", "open", "ended", "withdrawn"]}, "time_remaining": s, "invitees": {"type": "array", "items": obj(["org"], {"org": s, "accepted_at": dt, "accepted_terms_version": s})}}),
 "FrontierVersionDetail": obj(["version", "ledger", "verdicts", "windows", "inquiries"], {"version": ref("FrontierVersion"), "ledger": {"type": "array", "items": ref("FrontierLedgerItem")}, "verdicts": {"type": "array", "items": ref("FrontierVerdict")}, "windows": {"type": "array", "items": ref("FrontierWindow")}, "inquiries": {"type": "array", "items": ref("FrontierInquiry")}}),
 "FrontierNotification": obj(["version_id", "designation"], {"version_id": s, "designation": ref("FrontierDesignation")}),
 "FrontierCredential": obj(["endpoint_credential"], {"endpoint_credential": s}),
 "FrontierPolicyVersion": obj(["policy", "version", "effective_date", "origin", "title"], {"policy": s, "version": s, "effective_date": s, "origin": {"type": "string", "enum": ["builtin", "loaded"]}, "current": {"type": "boolean"}, "title": s}),
 "FrontierTerms": obj(["version", "body", "published_at"], {"version": s, "body": s, "published_at": dt}),
 "FrontierReferenceModel": obj(["name", "organization", "publication_date", "training_compute_flop"], {"name": s, "organization": s, "publication_date": s, "training_compute_flop": num}),
 "FrontierCreateModel": obj(["name"], {"name": s, "label": ref("FrontierLabel")}),
 "FrontierCreateVersion": obj(["version"], {"version": s, "modalities": {"type": "array", "items": s}, "architecture": {"type": "string", "enum": ["dense", "mixture-of-experts"]}, "total_parameters": num, "active_parameters": num, "training_tokens": num,
   "training_hardware": s, "training_started": {"type": "string", "format": "date"}, "training_ended": {"type": "string", "format": "date"}, "planned_release": {"type": "string", "format": "date"}, "endpoint_url": {"type": "string", "format": "uri"}, "endpoint_credential": {"type": "string", "writeOnly": True}}),
 "FrontierLedgerInput": {"type": "object", "required": ["category"], "description": "One line item in the model description file's ledger form: category, optional label and method, and the fields of one method (flop[_low,_high]; parameters, training_tokens, active_parameters; accelerator, count, hours, utilization, precision).", "properties": {"label": s, "category": s, "method": {"type": "string", "enum": ["architecture", "hardware", "declared"]}}},
 "FrontierOpenInquiry": obj(["question", "government_orgs"], {"question": s, "government_orgs": {"type": "array", "items": s, "minItems": 1}}),
 "FrontierDesignationInput": obj(["designation", "rationale"], {"designation": {"type": "string", "enum": ["covered", "not-covered", "deferred"]}, "rationale": s, "label": ref("FrontierLabel")}),
 "FrontierOpenWindow": obj(["starts_at", "ends_at", "invitees"], {"starts_at": dt, "ends_at": dt, "invitees": {"type": "array", "items": s, "minItems": 1}}),
 "FrontierAccept": obj(["terms_version"], {"terms_version": s}),
 "FrontierExtend": obj(["ends_at"], {"ends_at": dt}),
 "FrontierPublishTerms": obj(["version", "body"], {"version": s, "body": s}),
 "FrontierPolicyDocument": {"type": "object", "required": ["id", "version", "effective_date", "title", "source", "criteria"], "description": "A threshold policy document (see docs/frontier.md)."},
}
b = "/api/v1/frontier"
paths = {
 f"{b}/models": {"get": op("listFrontierModels", "Models the caller may see", pageOf("FrontierModel"), params=page),
                 "post": op("createFrontierModel", "Register a model (AI developer organisations)", ref("FrontierModel"), ref("FrontierCreateModel"), "201")},
 f"{b}/models/{{id}}": {"get": op("getFrontierModel", "A model and its versions", ref("FrontierModelDetail"), params=idp)},
 f"{b}/models/{{id}}/versions": {"post": op("createFrontierVersion", "Add a version; the endpoint credential is sealed at rest", ref("FrontierVersion"), ref("FrontierCreateVersion"), "201", idp)},
 f"{b}/versions/{{id}}": {"get": op("getFrontierVersion", "A version with its ledger, verdicts, windows and inquiries", ref("FrontierVersionDetail"), params=idp)},
 f"{b}/versions/{{id}}/credential": {"get": op("getFrontierCredential", "The endpoint credential, for the developer and for invitees of an open window that accepted the terms", ref("FrontierCredential"), params=idp)},
 f"{b}/versions/{{id}}/ledger": {"post": op("addFrontierLedgerItem", "Add a compute ledger line item", ref("FrontierLedgerItem"), ref("FrontierLedgerInput"), "201", idp)},
 f"{b}/versions/{{id}}/release": {"post": op("releaseFrontierVersion", "The developer releases the version (never waits on anyone)", ref("FrontierVersion"), None, "200", idp)},
 f"{b}/versions/{{id}}/inquiries": {"post": op("openFrontierInquiry", "Ask whether the version is a covered frontier model", ref("FrontierInquiry"), ref("FrontierOpenInquiry"), "201", idp)},
 f"{b}/versions/{{id}}/windows": {"post": op("openFrontierWindow", "Open a pre-release access window", ref("FrontierWindow"), ref("FrontierOpenWindow"), "201", idp)},
 f"{b}/inquiries/{{id}}/designations": {"post": op("recordFrontierDesignation", "A government reviewer records a designation (a record, never a permission)", ref("FrontierDesignation"), ref("FrontierDesignationInput"), "201", idp)},
 f"{b}/windows/{{id}}/accept": {"post": op("acceptFrontierTerms", "An invitee accepts the window's protection terms", ref("FrontierWindow"), ref("FrontierAccept"), "200", idp)},
 f"{b}/windows/{{id}}/end": {"post": op("endFrontierWindow", "The developer ends the window now", ref("FrontierWindow"), None, "200", idp)},
 f"{b}/windows/{{id}}/extend": {"post": op("extendFrontierWindow", "The developer extends the window within the maximum", ref("FrontierWindow"), ref("FrontierExtend"), "200", idp)},
 f"{b}/windows/{{id}}/withdraw": {"post": op("withdrawFrontierWindow", "The developer withdraws the window", ref("FrontierWindow"), None, "200", idp)},
 f"{b}/policies": {"get": op("listFrontierPolicies", "Every policy version on record, shipped and loaded", pageOf("FrontierPolicyVersion")),
                   "post": op("loadFrontierPolicy", "Load a new policy version (administrators)", ref("FrontierPolicyVersion"), ref("FrontierPolicyDocument"), "201")},
 f"{b}/notifications": {"get": op("listFrontierNotifications", "Designations recorded on the caller's organisation's inquiries, newest first", pageOf("FrontierNotification"),
   params=[page[0], {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}])},
 f"{b}/terms": {"get": op("getFrontierTerms", "The current protection terms", ref("FrontierTerms")),
                "post": op("publishFrontierTerms", "Publish a new version of the protection terms (administrators); new windows use it, acceptances keep theirs", ref("FrontierTerms"), ref("FrontierPublishTerms"), "201")},
 f"{b}/terms/versions": {"get": op("listFrontierTermsVersions", "Every published version of the protection terms, newest first", pageOf("FrontierTerms"))},
 f"{b}/reference-models": {"get": op("listFrontierReferenceModels", "Epoch reference models with recorded compute", pageOf("FrontierReferenceModel"),
   params=page + [{"name": "min_flop", "in": "query", "schema": {"type": "string"}, "description": "only models above this compute, e.g. 1e25"}])},
}
for p in paths.values():
    for o in p.values():
        if "requestBody" not in o and o["operationId"] in ("releaseFrontierVersion", "endFrontierWindow", "withdrawFrontierWindow"): pass
json.dump({"paths": paths, "components": {"schemas": schemas}}, open("Sources/Server/OpenAPI/frontier.json", "w"), indent=1, sort_keys=False)
