// Package guest is the part of the VM rig that runs inside the VM: it sets
// up the minimal system an /init program needs (mounts, kernel modules) and
// powers the VM off. The names here are shared with the host side, which
// lays out the initramfs.
package guest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Paths inside the initramfs.
const (
	// ModuleList lists the module files to load, one path a line, in load
	// order.
	ModuleList = "/lib/modules/nl2tp.load"
	// SuiteConfig is the JSON configuration of the test runner /init.
	SuiteConfig = "/vmtest/suite.json"
	// CommandConfig is the JSON configuration (a Command) of one command
	// for /init to run instead of a suite.
	CommandConfig = "/vmtest/command.json"
)

// Markers the test runner /init prints on the console at the start of a
// line, which the host parses.
const (
	MarkUname = "NL2TP-VMTEST-UNAME" // NL2TP-VMTEST-UNAME <uname -r>
	MarkBegin = "NL2TP-VMTEST-BEGIN" // NL2TP-VMTEST-BEGIN <name>
	MarkExit  = "NL2TP-VMTEST-EXIT"  // NL2TP-VMTEST-EXIT <name> <exit code>
	MarkError = "NL2TP-VMTEST-ERROR" // NL2TP-VMTEST-ERROR <message>
	MarkDone  = "NL2TP-VMTEST-DONE"  // all tests ran

	// MarkCommandExit reports the exit status of a Command.
	MarkCommandExit = "NL2TP-VMTEST-COMMAND-EXIT" // NL2TP-VMTEST-COMMAND-EXIT <exit code>
)

// EnvVM is set to "1" for programs run by the test runner inside the VM.
const EnvVM = "NL2TP_VM"

// A Suite is the test runner's configuration.
type Suite struct {
	Tests []Test
	// Args are passed to every test binary after -test.v and
	// -test.count=1 (a -test.run filter, say).
	Args []string
}

// A Test is one test binary in the initramfs.
type Test struct {
	Name string // the package, as "l2tp" or "internal/kerneltest"
	Path string // the binary
	Dir  string // the working directory, mirroring the package folder
}

// A Command is one program for /init to run, with the console as its
// standard input, output and error.
type Command struct {
	Argv []string
	Env  []string // added to PATH, HOME, TMPDIR and NL2TP_VM=1
	Dir  string   // working directory; "" means /
}

// MarkedLine formats v as one console line: mark, then v as JSON, then a
// newline. A program run as a Command reports its results to the host this
// way (the VM has no disk and no network); ParseMarkedLine reads them back.
func MarkedLine(mark string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return mark + string(b) + "\n", nil
}

// ParseMarkedLine decodes a console line (without its newline) that starts
// with mark into v. It reports false for a line without the mark, and true
// with an error for a marked line whose JSON does not decode.
func ParseMarkedLine(line, mark string, v any) (bool, error) {
	rest, ok := strings.CutPrefix(line, mark)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal([]byte(rest), v); err != nil {
		return true, fmt.Errorf("console line %.40q...: %w", line, err)
	}
	return true, nil
}
