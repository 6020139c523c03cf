package mock

import (
	"fmt"
	"math/rand/v2"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// patternString returns a string matching pattern whose length (in runes) is within [minLen,
// maxLen] when it can find one; maxLen < 0 means unbounded. It walks the parsed regular
// expression (RE2 syntax, the one kin-openapi validates with), so it covers literals, classes,
// alternations, groups and every kind of repetition; anchors and word boundaries produce nothing.
func patternString(rnd *rand.Rand, pattern string, minLen, maxLen int) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("pattern %q: %w", pattern, err)
	}
	re = re.Simplify()
	var best string
	// stretch lengthens repetitions after a too-short attempt and shortens them after a too-long one.
	stretch := 0
	for range 48 {
		var b strings.Builder
		writeRegexp(rnd, &b, re, stretch)
		s := b.String()
		n := utf8.RuneCountInString(s)
		switch {
		case n < minLen:
			stretch++
		case maxLen >= 0 && n > maxLen:
			stretch = max(stretch-1, 0)
		default:
			return s, nil
		}
		best = s
	}
	return best, nil
}

// repeatLimit caps open-ended repetitions (*, +, {n,}) so generated strings stay short.
const repeatLimit = 4

func writeRegexp(rnd *rand.Rand, b *strings.Builder, re *syntax.Regexp, stretch int) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		b.WriteRune(classRune(rnd, re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteRune(rune('a' + rnd.IntN(26)))
	case syntax.OpCapture:
		writeRegexp(rnd, b, re.Sub[0], stretch)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			writeRegexp(rnd, b, sub, stretch)
		}
	case syntax.OpAlternate:
		writeRegexp(rnd, b, re.Sub[rnd.IntN(len(re.Sub))], stretch)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := repeatBounds(re)
		if hi < 0 {
			hi = lo + repeatLimit + 2*stretch
		}
		lo = min(lo+2*stretch, hi)
		for range lo + rnd.IntN(hi-lo+1) {
			writeRegexp(rnd, b, re.Sub[0], stretch)
		}
	}
}

// repeatBounds is how many times a repetition may repeat; hi is -1 when unbounded.
func repeatBounds(re *syntax.Regexp) (lo, hi int) {
	switch re.Op {
	case syntax.OpStar:
		return 0, -1
	case syntax.OpPlus:
		return 1, -1
	case syntax.OpQuest:
		return 0, 1
	}
	return re.Min, re.Max
}

// classRune picks a rune from a class given as [lo, hi] pairs, preferring visible ASCII.
func classRune(rnd *rand.Rand, ranges []rune) rune {
	var visible []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := max(ranges[i], '!'); r <= min(ranges[i+1], '~'); r++ {
			visible = append(visible, r)
		}
	}
	if len(visible) > 0 {
		return visible[rnd.IntN(len(visible))]
	}
	if len(ranges) < 2 {
		return 'x'
	}
	i := 2 * rnd.IntN(len(ranges)/2)
	return ranges[i] + rune(rnd.Int64N(int64(min(ranges[i+1]-ranges[i], 1<<16))+1))
}
