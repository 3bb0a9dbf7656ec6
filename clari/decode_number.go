package clari

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// float64pow10 are the powers of ten a float64 holds exactly.
var float64pow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// parseFloatBytes parses a decimal number without allocating. The common
// shape of export values (-?digits[.digits], at most 15 digits) takes the
// exact fast path: the digits as an integer below 2^53 divided by an exact
// power of ten is correctly rounded by IEEE division, the same result
// strconv gives. Everything else goes to strconv.ParseFloat. NaN and
// infinities (strconv accepts "inf", "nan") are rejected.
func parseFloatBytes(b []byte) (float64, error) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	var m uint64
	digits, frac := 0, -1
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			if digits == 15 {
				return parseFloatSlow(b)
			}
			m = m*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
			continue
		}
		if c == '.' && frac < 0 {
			frac = 0
			continue
		}
		return parseFloatSlow(b)
	}
	if digits == 0 {
		return parseFloatSlow(b)
	}
	f := float64(m)
	if frac > 0 {
		f /= float64pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, nil
}

func parseFloatSlow(b []byte) (float64, error) {
	// string(b) does not escape (strconv copies the text into its errors),
	// so for short numbers the conversion uses a stack buffer.
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, fmt.Errorf("number %q is out of range", truncateForError(b))
		}
		return 0, fmt.Errorf("invalid number %q", truncateForError(b))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid number %q", truncateForError(b))
	}
	return f, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
