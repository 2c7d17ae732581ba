//go:build linux

// Command vminit is the /init of the test VMs: it mounts the basic file
// systems, loads the kernel modules, runs each test binary listed in the
// suite configuration with -test.v, prints markers with their exit status
// for the host to parse, and powers the VM off.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(); err != nil {
		fmt.Printf("\n%s %v\n", guest.MarkError, err)
	}
	if err := guest.PowerOff(); err != nil {
		fmt.Printf("\n%s power off: %v\n", guest.MarkError, err)
	}
	// Returning from init panics the kernel, which the host reports.
}

func run() error {
	if err := guest.Setup(); err != nil {
		return err
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return fmt.Errorf("uname: %w", err)
	}
	fmt.Printf("\n%s %s\n", guest.MarkUname, unix.ByteSliceToString(uts.Release[:]))

	env := []string{
		"PATH=/bin:/sbin:/usr/bin:/usr/sbin",
		"HOME=/root",
		"TMPDIR=/tmp",
		guest.EnvVM + "=1",
	}
	if b, err := os.ReadFile(guest.CommandConfig); err == nil {
		return runCommand(b, env)
	}
	b, err := os.ReadFile(guest.SuiteConfig)
	if err != nil {
		return err
	}
	var suite guest.Suite
	if err := json.Unmarshal(b, &suite); err != nil {
		return fmt.Errorf("%s: %w", guest.SuiteConfig, err)
	}
	for _, t := range suite.Tests {
		fmt.Printf("\n%s %s\n", guest.MarkBegin, t.Name)
		args := append([]string{"-test.v", "-test.count=1"}, suite.Args...)
		cmd := exec.Command(t.Path, args...)
		cmd.Dir = t.Dir
		cmd.Env = env
		cmd.Stdout = os.Stdout
		cmd.Stderr = os.Stdout
		code := exitCode(t.Name, cmd.Run())
		fmt.Printf("\n%s %s %d\n", guest.MarkExit, t.Name, code)
	}
	fmt.Printf("\n%s\n", guest.MarkDone)
	return nil
}

// exitCode turns the result of running name into an exit status, 255 if
// it could not start and 254 if a signal killed it.
func exitCode(name string, err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		fmt.Printf("\n%s %s: %v\n", guest.MarkError, name, strings.TrimSpace(err.Error()))
		return 255
	}
	if code := ee.ExitCode(); code >= 0 {
		return code
	}
	fmt.Printf("\n%s %s: %v\n", guest.MarkError, name, ee)
	return 254
}

// runCommand runs the Command in b with the console as its stdio.
func runCommand(b []byte, env []string) error {
	var c guest.Command
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("%s: %w", guest.CommandConfig, err)
	}
	if len(c.Argv) == 0 {
		return fmt.Errorf("%s: Argv is empty", guest.CommandConfig)
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cmd.Env = append(env, c.Env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	code := exitCode(c.Argv[0], cmd.Run())
	fmt.Printf("\n%s %d\n", guest.MarkCommandExit, code)
	return nil
}
