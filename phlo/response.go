package phlo

import "encoding/json"

// envelope is the leniently parsed PHLO response body.
type envelope struct {
	valid     bool // body is a JSON object
	apiID     string
	errMsg    string // "error"
	message   string // "message" (used by some Plivo endpoints)
	otherKeys bool   // keys besides the ones above
}

// parseEnvelope reads Plivo's fields in both spellings seen in the wild:
// the docs write "api_id" and "error", plivo-go's fixtures "ApiID" and
// "Error". The snake_case one wins when both are present.
func parseEnvelope(b []byte) envelope {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return envelope{}
	}
	e := envelope{valid: true}
	pick := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := m[k]; ok {
				if s := jsonText(v); s != "" {
					return s
				}
			}
		}
		return ""
	}
	e.apiID = pick("api_id", "ApiID")
	e.errMsg = pick("error", "Error")
	e.message = pick("message", "Message")
	for k := range m {
		switch k {
		case "api_id", "ApiID", "error", "Error", "message", "Message":
		default:
			e.otherKeys = true
		}
	}
	return e
}

// jsonText returns a JSON string's value, "" for null, and the raw JSON
// for anything else (e.g. {"error": {"to": ["required"]}}) so that no
// information is lost.
func jsonText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if string(v) == "null" {
		return ""
	}
	return string(v)
}

// errorMessage picks the text for APIError.Message of a non-2xx response.
func errorMessage(env envelope, body []byte) string {
	switch {
	case env.errMsg != "":
		return env.errMsg
	case env.message != "":
		return env.message
	case env.valid && !env.otherKeys:
		// {} or {"api_id": "..."}: nothing worth showing.
		return ""
	}
	return string(body)
}
