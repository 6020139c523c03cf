package mock

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
)

// generator makes values that validate against a schema; the same seed gives the same values.
// It honours types, formats, enums, bounds, lengths, patterns, nullable and required, and never
// adds properties a schema does not declare.
type generator struct {
	rnd *rand.Rand
	// static makes fallback bodies for responses without examples: the schema's own example or
	// default wins, and nullable values are never null.
	static bool
}

// maxDepth stops recursive schemas: deeper objects keep only required properties and arrays
// their minimum number of items.
const maxDepth = 6

func newGenerator(seed uint64, static bool) *generator {
	return &generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), static: static}
}

// value generates a value for s; name is the property it fills, which picks realistic text.
func (g *generator) value(s *openapi3.Schema, name string, depth int) any {
	if s == nil {
		return g.words(1, 2)
	}
	if g.static {
		if s.Example != nil {
			return s.Example
		}
		if s.Default != nil {
			return s.Default
		}
	}
	if len(s.Enum) > 0 {
		return s.Enum[g.rnd.IntN(len(s.Enum))]
	}
	if s.Nullable && !g.static && g.rnd.IntN(5) == 0 {
		return nil
	}
	switch {
	case len(s.AllOf) > 0:
		return g.value(mergeAllOf(s), name, depth)
	case len(s.OneOf) > 0:
		return g.value(s.OneOf[g.rnd.IntN(len(s.OneOf))].Value, name, depth)
	case len(s.AnyOf) > 0:
		return g.value(s.AnyOf[g.rnd.IntN(len(s.AnyOf))].Value, name, depth)
	}
	switch contract.SchemaType(s) {
	case "object":
		return g.object(s, depth)
	case "array":
		return g.array(s, name, depth)
	case "integer":
		return g.integer(s)
	case "number":
		return g.number(s)
	case "boolean":
		return g.rnd.IntN(2) == 0
	case "null":
		return nil
	case "string":
		return g.string(s, name)
	}
	return map[string]any{}
}

func (g *generator) object(s *openapi3.Schema, depth int) map[string]any {
	out := make(map[string]any, len(s.Properties))
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range s.Properties {
			if !yield(name) {
				return
			}
		}
	})
	// Required properties first, so a maxProperties cut drops only optional ones.
	slices.SortStableFunc(names, func(a, b string) int {
		return boolRank(slices.Contains(s.Required, a)) - boolRank(slices.Contains(s.Required, b))
	})
	for _, name := range names {
		p := s.Properties[name].Value
		required := slices.Contains(s.Required, name)
		if p == nil || p.WriteOnly || (!required && depth >= maxDepth) {
			continue
		}
		if s.MaxProps != nil && uint64(len(out)) >= *s.MaxProps {
			break
		}
		out[name] = g.value(p, name, depth+1)
	}
	additional := s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has || s.AdditionalProperties.Schema != nil
	for i := 1; additional && uint64(len(out)) < s.MinProps; i++ {
		var extra *openapi3.Schema
		if s.AdditionalProperties.Schema != nil {
			extra = s.AdditionalProperties.Schema.Value
		}
		key := fmt.Sprintf("key%d", i)
		if _, taken := out[key]; !taken {
			out[key] = g.value(extra, key, depth+1)
		}
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 0
	}
	return 1
}

func (g *generator) array(s *openapi3.Schema, name string, depth int) []any {
	lo := int(min(s.MinItems, 1000))
	hi := lo + 2
	if lo == 0 {
		hi = 3
		lo = 1
	}
	if s.MaxItems != nil {
		hi = min(hi, int(*s.MaxItems))
		lo = min(lo, hi)
	}
	n := lo + g.rnd.IntN(hi-lo+1)
	if depth >= maxDepth {
		n = int(s.MinItems)
	}
	var items *openapi3.Schema
	if s.Items != nil {
		items = s.Items.Value
	}
	out := make([]any, 0, n)
	seen := map[string]bool{}
	for tries := 0; len(out) < n && tries < 10*n+10; tries++ {
		v := g.value(items, singular(name), depth+1)
		if s.UniqueItems {
			key := string(marshalJSON(v))
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		out = append(out, v)
	}
	return out
}

func singular(name string) string {
	return strings.TrimSuffix(name, "s")
}

func (g *generator) integer(s *openapi3.Schema) int64 {
	lo, hi := int64(1), int64(1000)
	if s.Min != nil {
		lo = int64(math.Ceil(*s.Min))
		if s.ExclusiveMin.IsTrue() && float64(lo) == *s.Min {
			lo++
		}
		hi = lo + 999
	}
	if s.ExclusiveMin.Value != nil {
		lo = int64(math.Floor(*s.ExclusiveMin.Value)) + 1
		hi = lo + 999
	}
	if s.Max != nil {
		hi = int64(math.Floor(*s.Max))
		if s.ExclusiveMax.IsTrue() && float64(hi) == *s.Max {
			hi--
		}
		if s.Min == nil {
			lo = min(lo, hi-999)
		}
	}
	if s.ExclusiveMax.Value != nil {
		hi = int64(math.Ceil(*s.ExclusiveMax.Value)) - 1
	}
	if s.Format == "int32" {
		lo, hi = max(lo, math.MinInt32), min(hi, math.MaxInt32)
	}
	if hi < lo {
		return lo
	}
	v := lo + g.rnd.Int64N(hi-lo+1)
	if m := s.MultipleOf; m != nil && *m >= 1 && *m == math.Trunc(*m) {
		step := int64(*m)
		v = v / step * step
		if v < lo {
			v += step
		}
	}
	return v
}

func (g *generator) number(s *openapi3.Schema) float64 {
	lo, hi := 0.0, 1000.0
	if s.Min != nil {
		lo, hi = *s.Min, *s.Min+1000
	}
	if s.Max != nil {
		hi = *s.Max
		if s.Min == nil {
			lo = hi - 1000
		}
	}
	v := lo + g.rnd.Float64()*(hi-lo)
	if m := s.MultipleOf; m != nil && *m > 0 {
		v = math.Ceil(lo / *m) * *m
	} else {
		v = math.Round(v*100) / 100
	}
	exclusiveLo := s.ExclusiveMin.IsTrue() || s.ExclusiveMin.Value != nil
	exclusiveHi := s.ExclusiveMax.IsTrue() || s.ExclusiveMax.Value != nil
	if (exclusiveLo && v <= lo) || (exclusiveHi && v >= hi) || v < lo || v > hi {
		v = (lo + hi) / 2
	}
	return v
}

func (g *generator) string(s *openapi3.Schema, name string) string {
	minLen := int(min(s.MinLength, 10000))
	maxLen := -1
	if s.MaxLength != nil {
		maxLen = int(min(*s.MaxLength, 10000))
	}
	if s.Pattern != "" {
		if v, err := patternString(g.rnd, s.Pattern, minLen, maxLen); err == nil {
			return v
		}
	}
	var v string
	if s.Format != "" {
		v = g.format(s.Format, name)
	} else {
		v = g.text(name)
	}
	return fitLength(v, minLen, maxLen)
}

// fitLength pads or cuts v to the length bounds, counting runes as JSON Schema does.
func fitLength(v string, minLen, maxLen int) string {
	for utf8.RuneCountInString(v) < minLen {
		v += "x"
	}
	if maxLen >= 0 && utf8.RuneCountInString(v) > maxLen {
		v = string([]rune(v)[:maxLen])
	}
	return v
}

func (g *generator) format(format, name string) string {
	switch format {
	case "date":
		return g.time().Format(time.DateOnly)
	case "date-time":
		return g.time().Format(time.RFC3339)
	case "time":
		return g.time().Format(time.TimeOnly)
	case "email", "idn-email":
		return g.email()
	case "uuid":
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(g.rnd.IntN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	case "uri", "url", "uri-reference", "iri":
		return "https://example.com/" + g.pick(lorem)
	case "hostname", "idn-hostname":
		return g.pick(lorem) + ".example.com"
	case "ipv4":
		return fmt.Sprintf("192.0.2.%d", 1+g.rnd.IntN(254))
	case "ipv6":
		return fmt.Sprintf("2001:db8::%x", 1+g.rnd.IntN(0xfffe))
	case "byte":
		b := make([]byte, 6+g.rnd.IntN(10))
		for i := range b {
			b[i] = byte(g.rnd.IntN(256))
		}
		return base64.StdEncoding.EncodeToString(b)
	case "password":
		return g.token(12)
	}
	return g.text(name)
}

func (g *generator) time() time.Time {
	start := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
	return start.Add(time.Duration(g.rnd.Int64N(int64(75 * 365 * 24 * time.Hour)))).Truncate(time.Second)
}

// text picks realistic text from the property name: emails, names, phone numbers, links.
func (g *generator) text(name string) string {
	n := strings.ToLower(separators.Replace(name))
	switch {
	case strings.Contains(n, "email"):
		return g.email()
	case n == "username" || n == "uname" || n == "login":
		return strings.ToLower(g.pick(firstNames)) + fmt.Sprint(g.rnd.IntN(100))
	case strings.Contains(n, "firstname") || n == "givenname":
		return g.pick(firstNames)
	case strings.Contains(n, "lastname") || n == "surname" || n == "familyname":
		return g.pick(lastNames)
	case n == "name" || strings.Contains(n, "fullname") || strings.Contains(n, "namefull"):
		return g.pick(firstNames) + " " + g.pick(lastNames)
	case strings.Contains(n, "phone") || strings.Contains(n, "mobile"):
		return fmt.Sprintf("+52 55 %04d %04d", g.rnd.IntN(10000), g.rnd.IntN(10000))
	case strings.Contains(n, "url") || strings.Contains(n, "picture") || strings.Contains(n, "logo"):
		return "https://example.com/" + g.pick(lorem) + ".png"
	case strings.Contains(n, "token") || strings.Contains(n, "key") || n == "id" || strings.HasSuffix(n, "id"):
		return g.token(16)
	}
	return g.words(1, 3)
}

func (g *generator) email() string {
	return fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(g.pick(firstNames)), strings.ToLower(g.pick(lastNames)), g.rnd.IntN(100))
}

func (g *generator) words(lo, hi int) string {
	n := lo + g.rnd.IntN(hi-lo+1)
	w := make([]string, n)
	for i := range w {
		w[i] = g.pick(lorem)
	}
	return strings.Join(w, " ")
}

func (g *generator) token(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rnd.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *generator) pick(list []string) string {
	return list[g.rnd.IntN(len(list))]
}

var (
	separators = strings.NewReplacer("_", "", "-", "")
	firstNames = []string{"Matilde", "Elizabeth", "Daniel", "Ada", "Juan", "Jane", "Rosalind", "Santiago", "Frida", "Ignaz"}
	lastNames  = []string{"Montoya", "Blackwell", "Williams", "Lovelace", "Perez", "Doe", "Franklin", "Ramon", "Kahlo", "Semmelweis"}
	lorem      = []string{"lorem", "ipsum", "dolor", "sit", "amet", "salud", "clinica", "receta", "consulta", "paciente"}
)

// mergeAllOf flattens an allOf into one schema: the union of properties and required names, and
// the first declared value of every other keyword.
func mergeAllOf(s *openapi3.Schema) *openapi3.Schema {
	merged := *s
	merged.AllOf = nil
	merged.Properties = openapi3.Schemas{}
	for name, p := range s.Properties {
		merged.Properties[name] = p
	}
	merged.Required = slices.Clone(s.Required)
	for _, ref := range s.AllOf {
		sub := ref.Value
		if sub == nil {
			continue
		}
		if len(sub.AllOf) > 0 {
			sub = mergeAllOf(sub)
		}
		for name, p := range sub.Properties {
			if _, ok := merged.Properties[name]; !ok {
				merged.Properties[name] = p
			}
		}
		merged.Required = append(merged.Required, sub.Required...)
		if merged.Type == nil {
			merged.Type = sub.Type
		}
		if merged.Format == "" {
			merged.Format = sub.Format
		}
		if merged.Pattern == "" {
			merged.Pattern = sub.Pattern
		}
		if merged.Enum == nil {
			merged.Enum = sub.Enum
		}
		if merged.Items == nil {
			merged.Items = sub.Items
		}
		if merged.Min == nil {
			merged.Min = sub.Min
		}
		if merged.Max == nil {
			merged.Max = sub.Max
		}
		if merged.MaxLength == nil {
			merged.MaxLength = sub.MaxLength
		}
		merged.MinLength = max(merged.MinLength, sub.MinLength)
		if sub.AdditionalProperties.Has != nil && !*sub.AdditionalProperties.Has {
			merged.AdditionalProperties = sub.AdditionalProperties
		}
	}
	return &merged
}
