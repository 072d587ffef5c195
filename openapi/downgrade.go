package openapi

// Downgrade31 returns a copy of d written as OpenAPI 3.1.0. The 3.2-only
// parts are removed, since 3.1 has no place for them:
//
//   - $self, Server.name, Tag.summary/parent/kind, Response.summary;
//   - QUERY operations and additionalOperations (the methods 3.1 cannot
//     express; the operations are dropped from the 3.1 document);
//   - "querystring" parameters;
//   - MediaType.itemSchema (turned into "schema": {"type":"array","items":…}
//     when there is no schema);
//   - SecurityScheme.deprecated and oauth2MetadataUrl, the device
//     authorization flow.
//
// Schemas are JSON Schema 2020-12 in both versions and are shared, not copied.
// d itself is not modified.
func Downgrade31(d *Document) *Document {
	out := *d
	out.OpenAPI = "3.1.0"
	out.Self = ""
	out.Servers = servers31(d.Servers)
	if d.Tags != nil {
		out.Tags = make([]Tag, len(d.Tags))
		for i, t := range d.Tags {
			t.Summary, t.Parent, t.Kind = "", "", ""
			out.Tags[i] = t
		}
	}
	out.Paths = make(map[string]*PathItem, len(d.Paths))
	for k, p := range d.Paths {
		np := *p
		np.Query = nil
		np.AdditionalOperations = nil
		np.Servers = servers31(p.Servers)
		np.Parameters = params31(p.Parameters)
		for _, op := range []**Operation{&np.Get, &np.Put, &np.Post, &np.Delete, &np.Options, &np.Head, &np.Patch, &np.Trace} {
			if *op != nil {
				*op = operation31(*op)
			}
		}
		if np.Get == nil && np.Put == nil && np.Post == nil && np.Delete == nil && np.Options == nil &&
			np.Head == nil && np.Patch == nil && np.Trace == nil && p.Summary == "" && p.Description == "" {
			continue
		}
		out.Paths[k] = &np
	}
	if d.Components != nil {
		c := *d.Components
		if c.Responses != nil {
			c.Responses = make(map[string]*Response, len(d.Components.Responses))
			for k, r := range d.Components.Responses {
				c.Responses[k] = response31(r)
			}
		}
		if c.SecuritySchemes != nil {
			c.SecuritySchemes = make(map[string]*SecurityScheme, len(d.Components.SecuritySchemes))
			for k, s := range d.Components.SecuritySchemes {
				ns := *s
				ns.Deprecated = false
				ns.OAuth2MetadataURL = ""
				if s.Flows != nil {
					f := *s.Flows
					f.DeviceAuthorization = nil
					ns.Flows = &f
				}
				c.SecuritySchemes[k] = &ns
			}
		}
		out.Components = &c
	}
	return &out
}

func servers31(s []Server) []Server {
	if s == nil {
		return nil
	}
	out := make([]Server, len(s))
	for i, x := range s {
		x.Name = ""
		out[i] = x
	}
	return out
}

func params31(ps []*Parameter) []*Parameter {
	var out []*Parameter
	for _, p := range ps {
		if p.In != "querystring" {
			out = append(out, p)
		}
	}
	return out
}

func operation31(op *Operation) *Operation {
	n := *op
	n.Servers = servers31(op.Servers)
	n.Parameters = params31(op.Parameters)
	if op.RequestBody != nil {
		rb := *op.RequestBody
		rb.Content = content31(op.RequestBody.Content)
		n.RequestBody = &rb
	}
	if op.Responses != nil {
		n.Responses = make(map[string]*Response, len(op.Responses))
		for k, r := range op.Responses {
			n.Responses[k] = response31(r)
		}
	}
	return &n
}

func response31(r *Response) *Response {
	n := *r
	n.Summary = ""
	n.Content = content31(r.Content)
	return &n
}

func content31(c map[string]*MediaType) map[string]*MediaType {
	if c == nil {
		return nil
	}
	out := make(map[string]*MediaType, len(c))
	for k, m := range c {
		nm := *m
		if m.ItemSchema != nil {
			if nm.Schema == nil {
				nm.Schema = &Schema{Type: "array", Items: m.ItemSchema}
			}
			nm.ItemSchema = nil
		}
		out[k] = &nm
	}
	return out
}
