package main

import (
	"os"
	"testing"
)

// FuzzParse checks that the header parser never panics, returns a result
// exactly when it returns no error, and that what it returns is consistent.
// Seeds: testdata/fuzz/FuzzParse, the synthetic header of the tests and, when
// installed, the real linux/l2tp.h.
func FuzzParse(f *testing.F) {
	f.Add(miniHeader)
	f.Add("enum { A = (1 << 3) | 0x10, B, /* c */ C = B - 1 };\n#define M (C + 1)\n")
	if src, err := os.ReadFile(defaultHeader); err == nil {
		f.Add(string(src))
	}
	f.Fuzz(func(t *testing.T, src string) {
		h, err := parseHeader(src)
		if (h == nil) == (err == nil) {
			t.Fatalf("parseHeader returned %v and %v: want exactly one", h, err)
		}
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range h.Enums {
			if len(e.Values) == 0 {
				t.Errorf("enum on line %d has no values", e.Line)
			}
			for _, v := range e.Values {
				if !isCIdent(v.Name) || v.Line < 1 || seen[v.Name] {
					t.Errorf("bad or duplicate enumerator %+v", v)
				}
				seen[v.Name] = true
			}
		}
		for _, d := range h.Defines {
			if (d.Kind == defineOther) != (d.Err != nil) {
				t.Errorf("define %s: kind %d with error %v", d.Name, d.Kind, d.Err)
			}
		}
		// The rest of the generator must not panic on a parsed header either.
		files, err := generate([]byte(src))
		if (files == nil) == (err == nil) {
			t.Fatalf("generate returned %d files and %v: want exactly one", len(files), err)
		}
	})
}
