// Command run is "make demo": it builds nl2tp (static) and the demo
// scenario, boots the 6.12 kernel of the test rig in qemu with them, and
// shows the scenario's output.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nl2tp/nl2tp/internal/vmtest"
	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

func main() { vmtest.Main("demo", run) }

// run ignores its arguments.
func run(ctx context.Context, _ []string, stdout, stderr io.Writer) error {
	start := time.Now()
	root, cache, err := vmtest.Folders("")
	if err != nil {
		return err
	}
	k, err := vmtest.Fetch(ctx, cache, "6.12", stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "nl2tp-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	initBin, nl2tp, err := vmtest.BuildCommand(ctx, root, "./cmd/nl2tp", tmp)
	if err != nil {
		return err
	}
	tests, err := vmtest.BuildTests(ctx, root, []string{"./cmd/nl2tp/internal/demo"}, tmp)
	if err != nil {
		return err
	}
	if len(tests) != 1 {
		return errors.New("the demo scenario did not build")
	}
	fmt.Fprintf(stderr, "demo: built in %v; booting %s in qemu\n", time.Since(start).Round(time.Millisecond), k.Release)
	cfg := vmtest.Config{
		Kernel:  k,
		Init:    initBin,
		Files:   map[string]string{"/bin/nl2tp": nl2tp, "/bin/demo.test": tests[0].Path},
		Modules: vmtest.TestModules,
		Timeout: 3 * time.Minute,
		Console: &filter{w: stdout},
	}
	code, res, err := vmtest.RunCommand(ctx, &cfg, guest.Command{
		Argv: []string{"/bin/demo.test", "-test.run=^TestDemo$", "-test.timeout=2m"},
		Env:  []string{"NL2TP_DEMO=1"},
	})
	if err != nil {
		return err
	}
	if res != nil {
		fmt.Fprintf(stderr, "demo: VM ran for %v; %v in all\n", res.Elapsed.Round(10*time.Millisecond), time.Since(start).Round(10*time.Millisecond))
	}
	if code != 0 {
		return fmt.Errorf("the scenario failed (exit status %d)", code)
	}
	return nil
}

// filter drops the rig's marker lines and kernel messages from the
// console.
type filter struct{ w io.Writer }

var kernelMessage = regexp.MustCompile(`^\[\s*[0-9]+\.[0-9]+\] `)

func (f *filter) Write(b []byte) (int, error) {
	var out strings.Builder
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if strings.HasPrefix(l, "NL2TP-VMTEST-") || l == "PASS\n" || kernelMessage.MatchString(l) {
			continue
		}
		out.WriteString(l)
	}
	if _, err := io.WriteString(f.w, out.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}
