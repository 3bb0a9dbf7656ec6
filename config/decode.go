package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/clari-exporter/clari_exporter/secret"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Load reads the file at path and parses it (see Parse). A relative
// api_key_file or dsn_file is taken relative to the directory of path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a configuration strictly (unknown keys are errors), applies
// defaults, validates it and resolves its secrets. source names the file in
// error messages ("config: clari.yml:12: ...") and is the base directory
// of relative secret file paths. Every problem found is reported, joined
// with errors.Join; each is a *FieldError.
func Parse(data []byte, source string) (*Config, error) {
	cfg, pos, inline, errs := decodeFile(data, source)
	if len(errs) > 0 {
		errs.locate(source, pos)
		errs.scrub(nil, inline)
		return nil, errs.err()
	}
	errs = cfg.validate()
	errs = append(errs, cfg.resolve()...)
	if len(errs) > 0 {
		errs.locate(source, pos)
		errs.scrub(cfg.Scrubber(), inline)
		return nil, errs.err()
	}
	return cfg, nil
}

// decodeFile parses data strictly into a Config with its defaults, not yet
// validated or resolved. errs are the file's syntax, unknown-key and type
// problems, all of them (not only the first); pos are the fields' lines
// and inline the values of inline secrets, for locating and scrubbing.
func decodeFile(data []byte, source string) (cfg *Config, pos positions, inline []string, errs fieldErrors) {
	root, errs := parseDocument(data, source)
	if len(errs) > 0 {
		return nil, nil, nil, errs
	}
	pos, inline, errs = walkPositions(root)
	cfg = Default()
	if root != nil {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		cfg = &Config{}
		if err := dec.Decode(&cfg.File); err != nil {
			errs = append(errs, typeErrors(err, source, pos, errs)...)
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, pos, inline, errs
	}
	cfg.Source = source
	if cfg.Clari.APIKey != "" {
		cfg.InlineKeyLine = pos.lineOf("clari.api_key")
	}
	return cfg, pos, inline, nil
}

// Scrubber hides every secret this config holds, the file's and the
// resolved ones: API keys, and DSNs with the passwords inside them. The
// one list of them: a secret added here is scrubbed everywhere (config
// errors, the readiness audit).
func (c *Config) Scrubber() *secret.Scrubber {
	sc := &secret.Scrubber{}
	sc.Add(string(c.Clari.APIKey))
	sc.Add(string(c.Secrets.APIKey))
	sc.AddDSN(string(c.Secrets.StorageDSN))
	sc.AddDSN(string(c.Secrets.WarehouseDSN))
	if c.Warehouse != nil {
		sc.AddDSN(string(c.Warehouse.DSN))
	}
	return sc
}

// inlineSecretPaths are the fields whose YAML value is itself a secret.
var inlineSecretPaths = map[string]bool{"clari.api_key": true, "warehouse.dsn": true}

// parseDocument parses data into a node tree for positions; nil means an
// empty file (all defaults). Only one YAML document is allowed.
func parseDocument(data []byte, source string) (*yaml.Node, fieldErrors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err, source, data)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntaxError(err, source, data)
		}
		return nil, fieldErrors{{Source: source, Line: extra.Line,
			Msg: "more than one YAML document (a second '---'): put the whole configuration in one document"}}
	}
	if root.Kind == yaml.DocumentNode && (len(root.Content) == 0 || root.Content[0].ShortTag() == "!!null") {
		return nil, nil
	}
	return &root, nil
}

var (
	yamlSyntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlTypeLine   = regexp.MustCompile(`^line (\d+): (.*)$`)
	// The defaults hooks decode through alias types named plainX; users
	// should read the real type name.
	plainTypeName = regexp.MustCompile(`\bconfig\.plain([A-Z]\w*)`)
)

// syntaxError turns yaml.v3's parse error into a FieldError carrying
// file:line. A tab in the indentation is named as such, at its line: YAML
// forbids it and yaml.v3 says only "found character that cannot start any
// token".
func syntaxError(err error, source string, data []byte) fieldErrors {
	fe := yamlMessage(err.Error(), yamlSyntaxLine, source)
	if line := tabLine(data); line > 0 {
		fe.Line = line
		fe.Msg = "this line is indented with a tab: YAML indents with spaces only; replace the tab with spaces (yaml: " + fe.Msg + ")"
	}
	return fieldErrors{fe}
}

// typeErrors turns the decoder's error into FieldErrors that name the
// field by its YAML path and say what it takes ("forecasts[0].
// historical_quarters: must be a whole number, got \"four\""). Unknown keys
// were already reported by walkPositions (known holds them), with their
// path and a suggestion; the decoder's own message for them is dropped. A
// plain error (a bad duration, already reported by walkPositions) adds
// nothing.
func typeErrors(err error, source string, pos positions, known fieldErrors) fieldErrors {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		if len(known) > 0 {
			return nil
		}
		return fieldErrors{yamlMessage(err.Error(), yamlSyntaxLine, source)}
	}
	reported := map[int]bool{}
	for _, k := range known {
		reported[k.Line] = true
	}
	var errs fieldErrors
	for _, msg := range te.Errors {
		fe := yamlMessage(msg, yamlTypeLine, source)
		if yamlUnknownField.MatchString(fe.Msg) && reported[fe.Line] {
			continue
		}
		fe.Path = pos.pathAt(fe.Line)
		fe.Msg = typeMessage(fe.Msg)
		errs = append(errs, fe)
	}
	return errs
}

// yamlUnknownField is yaml.v3's message for a key the struct lacks.
var yamlUnknownField = regexp.MustCompile(`^field \S+ not found in type `)

func yamlMessage(msg string, re *regexp.Regexp, source string) *FieldError {
	fe := &FieldError{Source: source, Msg: strings.TrimPrefix(msg, "yaml: ")}
	if m := re.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Msg = m[2]
	}
	fe.Msg = plainTypeName.ReplaceAllString(fe.Msg, "config.$1")
	return fe
}

// positions maps field paths ("forecasts[0].id") to the line of their key.
type positions map[string]int

// pathAt returns the deepest field path whose key or list item is on
// line, "" when none is: the field a decoder error on that line is about.
func (p positions) pathAt(line int) string {
	best := ""
	for path, l := range p {
		if l == line && (len(path) > len(best) || (len(path) == len(best) && path < best)) {
			best = path
		}
	}
	return best
}

// lineOf returns the line of path or, when the field is absent from the
// file (a default), of its nearest enclosing field; 0 when none is known.
func (p positions) lineOf(path string) int {
	for path != "" {
		if line, ok := p[path]; ok {
			return line
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}

var durationType = reflect.TypeOf(model.Duration(0))

// walkPositions records the line of every field in the file, collects the
// values of inline secrets (to scrub them from messages), reports unknown
// keys by their path with a suggestion, and checks
// duration values up front: model.Duration's decoder returns a plain error
// that aborts decoding without a line, so a bad duration is reported here,
// with its path and line, instead.
func walkPositions(root *yaml.Node) (pos positions, inline []string, errs fieldErrors) {
	pos = positions{}
	if root == nil {
		return pos, nil, nil
	}
	var walk func(n *yaml.Node, t reflect.Type, path string)
	walk = func(n *yaml.Node, t reflect.Type, path string) {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if n.Kind == yaml.DocumentNode {
			for _, c := range n.Content {
				walk(c, t, path)
			}
			return
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if inlineSecretPaths[path] && n.Kind == yaml.ScalarNode {
			inline = append(inline, n.Value)
		}
		switch {
		case t == durationType:
			if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
				if msg := checkDuration(n.Value); msg != "" {
					errs = append(errs, &FieldError{Line: n.Line, Path: path, Msg: msg})
				}
			}
		case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
			fields := yamlFields(t)
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, val := n.Content[i], n.Content[i+1]
				if key.Tag == "!!merge" || (key.Value == "<<" && key.Style == 0) {
					// A merge key (<<: *defaults): its mappings' fields
					// belong to this struct.
					for val.Kind == yaml.AliasNode && val.Alias != nil {
						val = val.Alias
					}
					if val.Kind == yaml.SequenceNode {
						for _, m := range val.Content {
							walk(m, t, path)
						}
					} else {
						walk(val, t, path)
					}
					continue
				}
				p := key.Value
				if path != "" {
					p = path + "." + key.Value
				}
				if _, seen := pos[p]; !seen {
					pos[p] = key.Line
				}
				if f, ok := fields[key.Value]; ok {
					walk(val, f.Type, p)
				} else {
					errs = append(errs, unknownKeyError(key.Line, p, key.Value, fields))
				}
			}
		case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
			for i, el := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				pos[p] = el.Line
				walk(el, t.Elem(), p)
			}
		}
	}
	walk(root, reflect.TypeOf(File{}), "")
	return pos, inline, errs
}

// checkDuration returns what is wrong with a duration string, or "".
func checkDuration(s string) string {
	if strings.HasPrefix(s, "-") {
		return fmt.Sprintf("must be > 0, got %s", s)
	}
	if _, err := model.ParseDuration(s); err != nil {
		return fmt.Sprintf("must be a duration like 15s, 5m, 6h, 7d or 90d, got %q (%v)", s, err)
	}
	return ""
}

// yamlFields maps the yaml key of each field of struct type t to the field.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f
	}
	return m
}
