package dmr

import (
	"strconv"
	"strings"
)

// acceptsJSON reports whether the Accept header values allow
// application/json. A missing or empty header means anything is accepted.
//
// The header is a comma-separated list of media ranges with parameters;
// "q" gives a weight from 0 to 1 (q=0 means "not acceptable"). The most
// specific range matching application/json decides (exact type over
// "application/*" over "*/*"), as RFC 9110 §12.5.1 says.
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	best := -1 // specificity of the best matching range so far
	var q float64
	seen := false
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, _ := strings.Cut(part, ";")
			mt = strings.TrimSpace(mt)
			if mt == "" {
				continue
			}
			seen = true
			typ, sub, ok := strings.Cut(mt, "/")
			if !ok {
				continue // not a media range: ignore it
			}
			typ, sub = strings.TrimSpace(typ), strings.TrimSpace(sub)
			spec := -1
			switch {
			case strings.EqualFold(typ, "application") && strings.EqualFold(sub, "json"):
				spec = 2
			case strings.EqualFold(typ, "application") && sub == "*":
				spec = 1
			case typ == "*" && sub == "*":
				spec = 0
			}
			if spec < 0 {
				continue
			}
			pq, extra, ok := parseAcceptParams(params)
			if !ok {
				continue
			}
			// A range with extra parameters (application/json;version=2) is
			// more specific than the bare range but asks for something we
			// cannot promise: only charset=utf-8 is honoured.
			if extra {
				continue
			}
			if spec > best {
				best, q = spec, pq
			}
		}
	}
	if !seen {
		return true
	}
	return best >= 0 && q > 0
}

// parseAcceptParams returns the q value (1 when absent) and whether other
// parameters than q and charset=utf-8 are present. ok is false when q is
// malformed.
func parseAcceptParams(s string) (q float64, extra, ok bool) {
	q = 1
	for p := range strings.SplitSeq(s, ";") {
		k, v, _ := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch {
		case k == "":
		case strings.EqualFold(k, "q"):
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 || len(v) > 5 {
				return 0, false, false
			}
			q = f
		case strings.EqualFold(k, "charset"):
			if !strings.EqualFold(v, "utf-8") && !strings.EqualFold(v, "utf8") {
				extra = true
			}
		default:
			extra = true
		}
	}
	return q, extra, true
}
