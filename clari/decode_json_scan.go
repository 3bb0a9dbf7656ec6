package clari

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner is a minimal pull scanner over a fixed, reused buffer: it hands
// out JSON tokens as byte slices that point into the buffer (valid only until
// the next call), so decoding allocates nothing per token. Only a single
// token must fit in the buffer, never the document; the buffer grows up to
// maxJSONToken for a pathological token and no further.
//
// It is hand-written rather than built on encoding/json because the export
// result is large (hundreds of MB for a big tenant) and the generic decoder
// allocates per value and is about half as fast (see docs/performance.md).
type jsonScanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // next unread byte in buf
	end  int   // end of valid data in buf
	base int64 // offset in the document of buf[0]
	rerr error // sticky read error (io.EOF at the end of input)

	// scratch holds a string's bytes when it had escapes to decode.
	scratch []byte
	// entry is the index of the entry being decoded (-1 outside entries),
	// recorded in every DecodeError.
	entry int
}

const (
	jsonBufSize  = 64 << 10
	maxJSONToken = 1 << 20 // longest single string or number accepted
	maxJSONDepth = 512     // deepest nesting of unknown values skipped
)

var errTokenTooLong = fmt.Errorf("a single string or number is longer than %d bytes", maxJSONToken)

func newJSONScanner(r io.Reader) *jsonScanner {
	return &jsonScanner{r: r, buf: make([]byte, jsonBufSize), entry: -1}
}

func (s *jsonScanner) offset() int64 { return s.base + int64(s.pos) }

// errorf returns a DecodeError at the current offset.
func (s *jsonScanner) errorf(format string, args ...any) error {
	return s.errAt(s.offset(), fmt.Errorf(format, args...))
}

func (s *jsonScanner) errAt(off int64, err error) error {
	return &DecodeError{Format: string(FormatJSON), Offset: off, Entry: s.entry, Err: err}
}

// endErr is the error for input that stopped where more was required: the
// reader's own error, or errUnexpectedEnd for a clean EOF.
func (s *jsonScanner) endErr() error {
	off := s.base + int64(s.end)
	if s.rerr != nil && s.rerr != io.EOF {
		return s.errAt(off, s.rerr)
	}
	return s.errAt(off, errUnexpectedEnd)
}

// fill reads more input after buf[end], keeping the unread bytes
// buf[pos:end] (moved to the start of buf). It reports false when no byte
// could be read (the caller then returns s.endErr()), and an error when a
// single token outgrows maxJSONToken.
func (s *jsonScanner) fill() (bool, error) {
	if s.rerr != nil {
		return false, nil
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxJSONToken {
			return false, s.errAt(s.offset(), errTokenTooLong)
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for i := 0; i < 100; i++ {
		n, err := s.r.Read(s.buf[s.end:])
		if n < 0 || n > len(s.buf)-s.end {
			s.rerr = errors.New("reader returned an invalid count")
			return false, nil
		}
		s.end += n
		if err != nil {
			s.rerr = err
		}
		if n > 0 {
			return true, nil
		}
		if err != nil {
			return false, nil
		}
	}
	s.rerr = io.ErrNoProgress
	return false, nil
}

// more makes sure at least one unread byte is buffered, or returns the
// DecodeError for the end of the input (or a read error).
func (s *jsonScanner) more() error {
	for s.pos >= s.end {
		ok, err := s.fill()
		if err != nil {
			return err
		}
		if !ok {
			return s.endErr()
		}
	}
	return nil
}

// peek skips whitespace and returns the next byte without consuming it.
// The common case (no whitespace, byte buffered) returns at once.
func (s *jsonScanner) peek() (byte, error) {
	if s.pos < s.end && s.buf[s.pos] > ' ' {
		return s.buf[s.pos], nil
	}
	return s.skipSpace()
}

func (s *jsonScanner) skipSpace() (byte, error) {
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
				return c, nil
			}
			s.pos++
		}
		if err := s.more(); err != nil {
			return 0, err
		}
	}
}

// atEOF reports whether only whitespace is left in the input.
func (s *jsonScanner) atEOF() (bool, error) {
	_, err := s.peek()
	if err == nil {
		return false, nil
	}
	var de *DecodeError
	if errors.As(err, &de) && de.Err == errUnexpectedEnd {
		return true, nil
	}
	return false, err
}

// describe names the JSON value starting with c, for error messages.
func describe(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	case c >= 0x20 && c < 0x7f:
		return strconv.QuoteRune(rune(c))
	default:
		return fmt.Sprintf("byte 0x%02x", c)
	}
}

// expectDelim consumes the next non-space byte, which must be c.
func (s *jsonScanner) expectDelim(c byte, what string) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return s.errorf("expected %s, found %s", what, describe(got))
	}
	s.pos++
	return nil
}

// nextMember positions after '{' or a value inside an object: it reports
// whether another key follows (consuming the ',' between members) or the
// object ended (consuming '}').
func (s *jsonScanner) nextMember(first bool) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == '}' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.errorf("expected ',' or '}' after object member, found %s", describe(c))
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return false, err
		}
	}
	if c != '"' {
		return false, s.errorf("expected object key (a string), found %s", describe(c))
	}
	return true, nil
}

// nextElement is nextMember for arrays.
func (s *jsonScanner) nextElement(first bool) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == ']' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.errorf("expected ',' or ']' after array element, found %s", describe(c))
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return false, err
		}
		if c == ']' {
			return false, s.errorf("expected array element after ',', found ']'")
		}
	}
	return true, nil
}

// readString reads the string starting at the next byte (which must be
// '"') and returns its decoded content. The slice is valid until the next
// scanner call. Invalid escapes are errors; an invalid \u surrogate becomes
// U+FFFD like encoding/json does.
func (s *jsonScanner) readString() ([]byte, error) {
	start := s.offset()
	s.pos++ // opening quote
	i := s.pos
	for {
		for i < s.end {
			c := s.buf[i]
			if c == '"' {
				b := s.buf[s.pos:i]
				s.pos = i + 1
				return b, nil
			}
			if c == '\\' {
				return s.readEscapedString(i, start)
			}
			if c < 0x20 {
				return nil, s.errAt(s.base+int64(i), fmt.Errorf("control character 0x%02x in string", c))
			}
			i++
		}
		n := i - s.pos
		ok, err := s.fill()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, s.endErr()
		}
		i = s.pos + n
	}
}

// readEscapedString continues readString from the first backslash at buf[i],
// decoding into s.scratch.
func (s *jsonScanner) readEscapedString(i int, start int64) ([]byte, error) {
	out := append(s.scratch[:0], s.buf[s.pos:i]...)
	s.pos = i
	// From here s.pos always points at the next undecoded byte, so fill
	// may discard what was decoded.
	need := func(n int) error {
		for s.end-s.pos < n {
			ok, err := s.fill()
			if err != nil {
				return err
			}
			if !ok {
				return s.endErr()
			}
		}
		return nil
	}
	for {
		if err := need(1); err != nil {
			s.scratch = out
			return nil, err
		}
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			s.scratch = out
			return out, nil
		case c < 0x20:
			s.scratch = out
			return nil, s.errorf("control character 0x%02x in string", c)
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		if err := need(2); err != nil {
			s.scratch = out
			return nil, err
		}
		esc := s.buf[s.pos+1]
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if err := need(6); err != nil {
				s.scratch = out
				return nil, err
			}
			r, ok := hex4(s.buf[s.pos+2 : s.pos+6])
			if !ok {
				s.scratch = out
				return nil, s.errorf("invalid \\u escape in string starting at byte %d", start)
			}
			s.pos += 6
			if utf16.IsSurrogate(r) {
				// A low surrogate must follow as another \u escape.
				if s.end-s.pos < 6 {
					_, _ = s.fill() // best effort: short input just means no pair
				}
				if s.end-s.pos >= 6 && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
					if r2, ok := hex4(s.buf[s.pos+2 : s.pos+6]); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							s.pos += 6
							out = utf8.AppendRune(out, dec)
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			s.scratch = out
			return nil, s.errorf("invalid escape \\%c in string starting at byte %d", esc, start)
		}
		s.pos += 2
	}
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// readNumber reads a JSON number and returns its text (valid until the next
// call), checked against the JSON grammar.
func (s *jsonScanner) readNumber() ([]byte, error) {
	i := s.pos
	for {
		for i < s.end {
			c := s.buf[i]
			if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
				i++
				continue
			}
			return s.finishNumber(i)
		}
		n := i - s.pos
		ok, err := s.fill()
		if err != nil {
			return nil, err
		}
		if !ok {
			// The top level is always an object, so input that ends in a
			// number was cut short.
			return nil, s.endErr()
		}
		i = s.pos + n
	}
}

func (s *jsonScanner) finishNumber(i int) ([]byte, error) {
	b := s.buf[s.pos:i]
	if !validNumber(b) {
		return nil, s.errorf("invalid number %q", truncateForError(b))
	}
	s.pos = i
	return b, nil
}

// validNumber checks b against the JSON number grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(b)
}

func truncateForError(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// readLiteral consumes true, false or null (the next byte is its first).
func (s *jsonScanner) readLiteral() (byte, error) {
	var lit string
	switch s.buf[s.pos] {
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	case 'n':
		lit = "null"
	default:
		return 0, s.errorf("unexpected %s", describe(s.buf[s.pos]))
	}
	for s.end-s.pos < len(lit) {
		ok, err := s.fill()
		if err != nil {
			return 0, err
		}
		if !ok {
			if string(s.buf[s.pos:s.end]) != lit[:s.end-s.pos] {
				break // wrong literal: report it below rather than truncation
			}
			return 0, s.endErr()
		}
	}
	if s.end-s.pos < len(lit) || string(s.buf[s.pos:s.pos+len(lit)]) != lit {
		n := min(len(lit), s.end-s.pos)
		return 0, s.errorf("invalid literal %q (expected %s)", s.buf[s.pos:s.pos+n], lit)
	}
	s.pos += len(lit)
	return lit[0], nil
}

// skipValue consumes one value of any type, checking its syntax. Strings
// are skipped without being kept, so a huge unknown value costs no memory.
func (s *jsonScanner) skipValue(depth int) error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch {
	case c == '"':
		return s.skipString()
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := s.readNumber()
		return err
	case c == 't' || c == 'f' || c == 'n':
		_, err := s.readLiteral()
		return err
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return s.errorf("values nested deeper than %d levels", maxJSONDepth)
		}
		s.pos++
		for first := true; ; first = false {
			var more bool
			if c == '{' {
				more, err = s.nextMember(first)
			} else {
				more, err = s.nextElement(first)
			}
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			if c == '{' {
				if err := s.skipString(); err != nil {
					return err
				}
				if err := s.expectDelim(':', "':' after object key"); err != nil {
					return err
				}
			}
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
		}
	default:
		return s.errorf("expected a value, found %s", describe(c))
	}
}

// skipString consumes a string without keeping it (its bytes may be
// discarded from the buffer as they are scanned).
func (s *jsonScanner) skipString() error {
	s.pos++ // opening quote
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			switch {
			case c == '"':
				s.pos++
				return nil
			case c == '\\':
				if s.pos+1 >= s.end {
					if err := s.needBytes(2); err != nil {
						return err
					}
				}
				esc := s.buf[s.pos+1]
				switch esc {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					s.pos += 2
				case 'u':
					if err := s.needBytes(6); err != nil {
						return err
					}
					if _, ok := hex4(s.buf[s.pos+2 : s.pos+6]); !ok {
						return s.errorf("invalid \\u escape in string")
					}
					s.pos += 6
				default:
					return s.errorf("invalid escape \\%c in string", esc)
				}
			case c < 0x20:
				return s.errorf("control character 0x%02x in string", c)
			default:
				s.pos++
			}
		}
		if err := s.more(); err != nil {
			return err
		}
	}
}

// needBytes makes sure n unread bytes are buffered.
func (s *jsonScanner) needBytes(n int) error {
	for s.end-s.pos < n {
		ok, err := s.fill()
		if err != nil {
			return err
		}
		if !ok {
			return s.endErr()
		}
	}
	return nil
}
