package main

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"sort"
)

// Character sets of terraform-provider-random (internal/random/string.go, CreateString).
const (
	numericChars        = "0123456789"
	lowerChars          = "abcdefghijklmnopqrstuvwxyz"
	upperChars          = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	defaultSpecialChars = "!@#$%&*()-_=+[]{}<>:?"
)

// stringParams are the generation inputs shared by RandomPassword and RandomString.
type stringParams struct {
	Length                                     int64
	Upper, Lower, Numeric, Special             bool
	MinUpper, MinLower, MinNumeric, MinSpecial int64
	OverrideSpecial                            string
}

// validate applies terraform-provider-random's schema rules: length >= 1, every minimum >= 0, and
// length >= the sum of the minimums.
func (p stringParams) validate() []checkFailure {
	var failures []checkFailure
	if p.Length < 1 {
		failures = append(failures, checkFailure{"length", fmt.Sprintf("length is %d; it must be at least 1", p.Length)})
	}
	for _, m := range []struct {
		name string
		v    int64
	}{{"minUpper", p.MinUpper}, {"minLower", p.MinLower}, {"minNumeric", p.MinNumeric}, {"minSpecial", p.MinSpecial}} {
		if m.v < 0 {
			failures = append(failures, checkFailure{m.name, fmt.Sprintf("%s is %d; it must be 0 or more", m.name, m.v)})
		}
	}
	sum := p.MinUpper + p.MinLower + p.MinNumeric + p.MinSpecial
	if p.Length >= 1 && p.Length < sum {
		failures = append(failures, checkFailure{"length", fmt.Sprintf(
			"length (%d) must be >= minUpper + minLower + minNumeric + minSpecial (%d)", p.Length, sum)})
	}
	if p.Length > sum && !p.Upper && !p.Lower && !p.Numeric && !p.Special {
		failures = append(failures, checkFailure{"special", "upper, lower, numeric and special are all false, " +
			"so only the minimums can be generated and they do not add up to length"})
	}
	return failures
}

type checkFailure struct{ property, reason string }

// generate follows terraform-provider-random's CreateString: first the minimum count of characters
// from each class (taken from the class even when that class is disabled), then the rest from the
// union of the enabled classes, then a shuffle. overrideSpecial replaces the special characters.
func generate(p stringParams) (string, error) {
	special := defaultSpecialChars
	if p.OverrideSpecial != "" {
		special = p.OverrideSpecial
	}
	var pool string
	if p.Upper {
		pool += upperChars
	}
	if p.Lower {
		pool += lowerChars
	}
	if p.Numeric {
		pool += numericChars
	}
	if p.Special {
		pool += special
	}
	result := make([]byte, 0, p.Length)
	for _, m := range []struct {
		set string
		n   int64
	}{{numericChars, p.MinNumeric}, {lowerChars, p.MinLower}, {upperChars, p.MinUpper}, {special, p.MinSpecial}} {
		b, err := pick(m.set, m.n)
		if err != nil {
			return "", err
		}
		result = append(result, b...)
	}
	rest := p.Length - int64(len(result))
	if rest > 0 && pool == "" {
		return "", fmt.Errorf("no character class is enabled (upper, lower, numeric and special are all false) " +
			"and the minimums do not fill length")
	}
	b, err := pick(pool, rest)
	if err != nil {
		return "", err
	}
	result = append(result, b...)
	order := make([]byte, len(result))
	if _, err := rand.Read(order); err != nil {
		return "", err
	}
	idx := make([]int, len(result))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return order[idx[i]] < order[idx[j]] })
	shuffled := make([]byte, len(result))
	for i, k := range idx {
		shuffled[i] = result[k]
	}
	return string(shuffled), nil
}

// pick draws n characters uniformly from set with crypto/rand.
func pick(set string, n int64) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	out := make([]byte, n)
	size := big.NewInt(int64(len(set)))
	for i := range out {
		k, err := rand.Int(rand.Reader, size)
		if err != nil {
			return nil, err
		}
		out[i] = set[k.Int64()]
	}
	return out, nil
}
