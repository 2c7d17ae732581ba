package vmtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

// DefaultPackages are the packages with kernel tests.
var DefaultPackages = []string{"./internal/kerneltest", "./l2tp", "./cmd/nl2tp"}

// A TestBinary is a test binary built on the host.
type TestBinary struct {
	Name     string // the package folder, as "l2tp" or "internal/kerneltest"
	Path     string // the binary on the host
	Testdata string // the package's testdata folder, if it has one
}

// Build builds a static binary of a main package with CGO_ENABLED=0.
func Build(ctx context.Context, root, pkg, out string) error {
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("vmtest: go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// BuildTests builds static test binaries (go test -c, CGO_ENABLED=0) of the
// packages, relative to the module root, into outDir. A package whose
// folder does not exist or holds no _test.go file is left out silently.
func BuildTests(ctx context.Context, root string, pkgs []string, outDir string) ([]TestBinary, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	var tests []TestBinary
	for _, pkg := range pkgs {
		name := path.Clean(strings.TrimPrefix(filepath.ToSlash(pkg), "./"))
		dir := filepath.Join(root, filepath.FromSlash(name))
		if has, err := hasTests(dir); err != nil {
			return nil, err
		} else if !has {
			continue
		}
		bin := filepath.Join(outDir, strings.ReplaceAll(name, "/", "_")+".test")
		os.Remove(bin)
		cmd := exec.CommandContext(ctx, goTool(), "test", "-c", "-o", bin, "./"+name)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("vmtest: go test -c ./%s: %v\n%s", name, err, b)
		}
		if _, err := os.Stat(bin); err != nil {
			continue // no tests after build constraints
		}
		t := TestBinary{Name: name, Path: bin}
		if fi, err := os.Stat(filepath.Join(dir, "testdata")); err == nil && fi.IsDir() {
			t.Testdata = filepath.Join(dir, "testdata")
		}
		tests = append(tests, t)
	}
	return tests, nil
}

func hasTests(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("vmtest: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), "_test.go") {
			return true, nil
		}
	}
	return false, nil
}

// SuiteOptions configure RunSuite.
type SuiteOptions struct {
	Init  string       // the host path of the static vminit binary
	Tests []TestBinary // from BuildTests
	// RootTestdata is the module's root testdata folder, if any; it is
	// copied so that tests find ../testdata as on the host.
	RootTestdata string
	// Args go to every test binary (as -test.run=..., -test.timeout=...).
	Args    []string
	Timeout time.Duration // of the whole VM
	// Console receives the live console; each line is prefixed with
	// "[<line>] ".
	Console io.Writer
	// Boot tunes the VM; its Kernel, Init, Files, Data, Modules, Timeout
	// and Console are set by RunSuite.
	Boot Config
}

// A Summary counts the results of one suite run on one kernel.
type Summary struct {
	Line                    string // kernel line, "6.12"
	Release                 string // uname -r reported from inside the VM
	Passed, Failed, Skipped int
	// Exits maps each test binary that finished to its exit status.
	Exits map[string]int
	// Problems lists what went wrong besides failed tests: binaries that
	// did not finish or exited non-zero, errors of /init, a panic, a
	// timeout.
	Problems []string
	Boot     *Result
}

// OK reports whether everything passed.
func (s *Summary) OK() bool { return s.Failed == 0 && len(s.Problems) == 0 }

// String formats the summary line: "vm-6.12: 10 passed, 0 failed, 1 skipped".
func (s *Summary) String() string {
	return fmt.Sprintf("vm-%s: %d passed, %d failed, %d skipped", s.Line, s.Passed, s.Failed, s.Skipped)
}

// RunSuite boots kernel k with the test binaries and the test modules, runs
// them and counts their results. The error reports only a failure to set
// up the VM; a panic, timeout or failed test is in the Summary's Problems
// and counts.
func RunSuite(ctx context.Context, k *Kernel, opts *SuiteOptions) (*Summary, error) {
	suite := guest.Suite{Args: opts.Args}
	files := map[string]string{}
	for _, t := range opts.Tests {
		dir := path.Join("/src", t.Name)
		bin := path.Join(dir, path.Base(t.Name)+".test")
		files[bin] = t.Path
		if t.Testdata != "" {
			files[path.Join(dir, "testdata")] = t.Testdata
		}
		suite.Tests = append(suite.Tests, guest.Test{Name: t.Name, Path: bin, Dir: dir})
	}
	if opts.RootTestdata != "" {
		files["/src/testdata"] = opts.RootTestdata
	}
	conf, err := json.Marshal(suite)
	if err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	cfg := opts.Boot
	cfg.Kernel = k
	cfg.Init = opts.Init
	cfg.Files = files
	cfg.Data = map[string][]byte{guest.SuiteConfig: conf}
	cfg.Modules = TestModules
	cfg.Timeout = opts.Timeout
	p := newSuiteParser(k.Line, opts.Console)
	cfg.Console = p
	res, berr := Boot(ctx, &cfg)
	p.flush()
	s := p.summary()
	s.Boot = res
	if res == nil && berr != nil {
		return nil, berr
	}
	for _, t := range opts.Tests {
		code, ok := s.Exits[t.Name]
		switch {
		case !ok:
			s.Problems = append(s.Problems, fmt.Sprintf("%s: did not finish", t.Name))
		case code != 0:
			s.Problems = append(s.Problems, fmt.Sprintf("%s: exit status %d", t.Name, code))
		}
	}
	if !p.done && berr == nil {
		s.Problems = append(s.Problems, "/init did not finish the suite")
	}
	if berr != nil {
		s.Problems = append(s.Problems, berr.Error())
	}
	if s.Release == "" {
		s.Problems = append(s.Problems, "/init never reported the kernel release")
	} else if s.Release != k.Release {
		s.Problems = append(s.Problems, fmt.Sprintf("booted kernel %s, want %s", s.Release, k.Release))
	}
	return s, nil
}

// resultRE matches go test -v result lines, of subtests too.
var resultRE = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): `)

// A suiteParser follows the console: it passes each line on, prefixed,
// and counts the results of the test binary running.
type suiteParser struct {
	mu      sync.Mutex
	prefix  string
	out     io.Writer
	partial []byte
	s       Summary
	current string
	done    bool
}

func newSuiteParser(line string, out io.Writer) *suiteParser {
	if out == nil {
		out = io.Discard
	}
	return &suiteParser{prefix: "[" + line + "] ", out: out, s: Summary{Line: line, Exits: map[string]int{}}}
}

func (p *suiteParser) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := strings.IndexByte(string(p.partial), '\n')
		if i < 0 {
			break
		}
		p.line(string(p.partial[:i]))
		p.partial = p.partial[i+1:]
	}
	return len(b), nil
}

func (p *suiteParser) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.partial) > 0 {
		p.line(string(p.partial))
		p.partial = nil
	}
}

func (p *suiteParser) line(l string) {
	f := strings.Fields(l)
	if len(f) == 0 {
		return // the markers' leading newlines
	}
	fmt.Fprintf(p.out, "%s%s\n", p.prefix, l)
	switch f[0] {
	case guest.MarkUname:
		if len(f) == 2 {
			p.s.Release = f[1]
		}
		return
	case guest.MarkBegin:
		if len(f) == 2 {
			p.current = f[1]
		}
		return
	case guest.MarkExit:
		if len(f) == 3 {
			if code, err := strconv.Atoi(f[2]); err == nil {
				p.s.Exits[f[1]] = code
			}
		}
		p.current = ""
		return
	case guest.MarkError:
		p.s.Problems = append(p.s.Problems, "/init: "+strings.TrimSpace(strings.TrimPrefix(l, guest.MarkError)))
		return
	case guest.MarkDone:
		p.done = true
		return
	}
	if p.current == "" {
		return
	}
	if m := resultRE.FindStringSubmatch(l); m != nil {
		switch m[1] {
		case "PASS":
			p.s.Passed++
		case "FAIL":
			p.s.Failed++
		case "SKIP":
			p.s.Skipped++
		}
	}
}

func (p *suiteParser) summary() *Summary {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.s
	return &s
}
