package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestOracle compiles a C program that includes <linux/l2tp.h> and prints
// every enumerator, the three _MAX macros and the genl macros, then checks
// each value against what the generator's parser found and against the
// constants in the committed l2tp/zl2tp.go.
func TestOracle(t *testing.T) {
	src := installedHeader(t)
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc is absent (Debian: apt-get install gcc); cannot run the C oracle")
	}
	h, err := parseHeader(string(src))
	if err != nil {
		t.Fatal(err)
	}

	// An independent count of the enumerators, by a line regexp, so that an
	// enumerator the parser misses cannot go unnoticed.
	var parsed []string
	parsedVal := map[string]int64{}
	for _, e := range h.Enums {
		for _, v := range e.Values {
			parsed = append(parsed, v.Name)
			parsedVal[v.Name] = v.Value
		}
	}
	lineRE := regexp.MustCompile(`(?m)^\s*(_*L2TP_[A-Z0-9_]+)\s*(?:=[^,\n]*)?,?\s*(?:/\*.*)?$`)
	var scanned []string
	for _, m := range lineRE.FindAllStringSubmatch(string(src), -1) {
		scanned = append(scanned, m[1])
	}
	slices.Sort(parsed)
	slices.Sort(scanned)
	if !slices.Equal(parsed, scanned) {
		t.Fatalf("the parser found enumerators %q, a line scan of the header found %q", parsed, scanned)
	}

	maxes := []string{"L2TP_CMD_MAX", "L2TP_ATTR_MAX", "L2TP_ATTR_STATS_MAX"}
	for _, m := range maxes {
		d, ok := h.define(m)
		if !ok || d.Kind != defineInt {
			t.Fatalf("the parser did not evaluate %s: %+v", m, d)
		}
		parsedVal[m] = d.Int
	}
	ints := append(slices.Clone(parsed), append(maxes, "L2TP_GENL_VERSION")...)
	strs := []string{"L2TP_GENL_NAME", "L2TP_GENL_MCGROUP"}
	if d, ok := h.define("L2TP_GENL_VERSION"); ok {
		parsedVal["L2TP_GENL_VERSION"] = d.Int
	}

	var prog strings.Builder
	prog.WriteString("#include <stdio.h>\n#include <linux/l2tp.h>\nint main(void) {\n")
	for _, n := range ints {
		fmt.Fprintf(&prog, "\tprintf(\"%%s %%lld\\n\", %q, (long long)(%s));\n", n, n)
	}
	for _, n := range strs {
		fmt.Fprintf(&prog, "\tprintf(\"%%s %%s\\n\", %q, %s);\n", n, n)
	}
	prog.WriteString("\treturn 0;\n}\n")
	dir := t.TempDir()
	cfile, bin := filepath.Join(dir, "oracle.c"), filepath.Join(dir, "oracle")
	if err := os.WriteFile(cfile, []byte(prog.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-Wall", "-Werror", "-o", bin, cfile).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s\n%s", err, out, prog.String())
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	cInts, cStrs := map[string]int64{}, map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, val, _ := strings.Cut(sc.Text(), " ")
		if slices.Contains(strs, name) {
			cStrs[name] = val
			continue
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			t.Fatalf("oracle line %q: %v", sc.Text(), err)
		}
		cInts[name] = n
	}
	if len(cInts) != len(ints) || len(cStrs) != len(strs) {
		t.Fatalf("the oracle printed %d integers and %d strings, want %d and %d", len(cInts), len(cStrs), len(ints), len(strs))
	}

	// The parser against the C compiler.
	for _, n := range ints {
		if parsedVal[n] != cInts[n] {
			t.Errorf("parser: %s = %d, gcc says %d", n, parsedVal[n], cInts[n])
		}
	}

	// The committed Go file against the C compiler.
	goInts, goStrs := generatedConsts(t, filepath.Join(outDir, "zl2tp.go"))
	compared := 0
	for _, n := range ints {
		gv, ok := goInts[n]
		switch {
		case strings.HasPrefix(n, "__"):
			if ok {
				t.Errorf("zl2tp.go defines a constant for the sentinel %s", n)
			}
		case !ok:
			t.Errorf("zl2tp.go has no constant commented %s", n)
		case gv != cInts[n]:
			t.Errorf("zl2tp.go: %s = %d, gcc says %d", n, gv, cInts[n])
		default:
			compared++
		}
	}
	for _, n := range strs {
		if goStrs[n] != cStrs[n] {
			t.Errorf("zl2tp.go: %s = %q, gcc says %q", n, goStrs[n], cStrs[n])
		} else {
			compared++
		}
	}
	for n := range goInts {
		if _, ok := cInts[n]; !ok {
			t.Errorf("zl2tp.go has a constant commented %s, which the C program did not print", n)
		}
	}
	t.Logf("compared %d values of zl2tp.go with gcc (%d enumerators and macros printed)", compared, len(cInts)+len(cStrs))
}

// generatedConsts reads the constants of a generated Go file, keyed by the C
// name in their trailing comment.
func generatedConsts(t *testing.T, path string) (map[string]int64, map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		t.Fatalf("%v: run make generate", err)
	}
	ints, strs := map[string]int64{}, map[string]string{}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if vs.Comment == nil || len(vs.Names) != 1 || len(vs.Values) != 1 {
				t.Errorf("%s: constant %s is not one name = one literal // C_NAME", fset.Position(vs.Pos()), vs.Names[0].Name)
				continue
			}
			cname := strings.TrimSpace(vs.Comment.Text())
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: %s is not a literal", fset.Position(vs.Pos()), vs.Names[0].Name)
				continue
			}
			v := constant.MakeFromLiteral(lit.Value, lit.Kind, 0)
			if _, dup := ints[cname]; dup {
				t.Errorf("%s: a second constant commented %s", fset.Position(vs.Pos()), cname)
			}
			switch v.Kind() {
			case constant.Int:
				n, exact := constant.Int64Val(v)
				if !exact {
					t.Errorf("%s: %s does not fit int64", fset.Position(vs.Pos()), vs.Names[0].Name)
				}
				ints[cname] = n
			case constant.String:
				strs[cname] = constant.StringVal(v)
			default:
				t.Errorf("%s: %s is neither an integer nor a string", fset.Position(vs.Pos()), vs.Names[0].Name)
			}
		}
	}
	return ints, strs
}
