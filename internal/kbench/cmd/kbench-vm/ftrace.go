//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nl2tp/nl2tp/internal/kbench"
)

// tracefs is where the VM mounts the kernel's tracing file system.
const tracefs = "/sys/kernel/tracing"

// A tracer times kernel functions with ftrace's function_graph tracer,
// limited to a few functions by set_ftrace_filter. setupFtrace turns the
// tracer on, which patches the kernel's code; start and stop only turn
// the recording on and off, which patches nothing.
type tracer struct{ dir string }

// setupFtrace mounts tracefs if need be, sets the filter to those of
// funcs the kernel can trace and makes function_graph the current tracer,
// recording nothing yet. It returns the functions it cannot trace. Under
// TCG, patching the kernel's code while other CPUs run crashed a guest
// (an int3 left behind in a static branch): call it with one CPU online.
func setupFtrace(funcs []string) (*tracer, []string, error) {
	t := &tracer{dir: tracefs}
	if _, err := os.Stat(t.dir + "/trace"); err != nil {
		if err := unix.Mount("tracefs", t.dir, "tracefs", 0, ""); err != nil {
			return nil, nil, fmt.Errorf("mount tracefs on %s: %w", t.dir, err)
		}
	}
	avail, err := t.available()
	if err != nil {
		return nil, nil, err
	}
	for _, kv := range [][2]string{{"tracing_on", "0"}, {"current_tracer", "nop"}, {"buffer_size_kb", "16384"}} {
		if err := t.write(kv[0], kv[1]); err != nil {
			return nil, nil, err
		}
	}
	// Empty the filter, then add the functions one write each: a name
	// the kernel does not know fails its own write only.
	if err := t.write("set_ftrace_filter", ""); err != nil {
		return nil, nil, err
	}
	var untraced []string
	n := 0
	for _, fn := range funcs {
		if !avail[fn] {
			untraced = append(untraced, fn)
			continue
		}
		f, err := os.OpenFile(t.dir+"/set_ftrace_filter", os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, nil, err
		}
		_, werr := f.WriteString(fn)
		cerr := f.Close()
		if werr != nil || cerr != nil {
			untraced = append(untraced, fn)
			continue
		}
		n++
	}
	if n == 0 {
		// An empty filter would trace every function.
		return nil, nil, errors.New("none of the functions is traceable")
	}
	if err := t.write("current_tracer", "function_graph"); err != nil {
		return nil, nil, err
	}
	// The tracer's own options exist only while it is the current one.
	// funcgraph-tail names the function on the line that ends a call with
	// traced callees, which ParseFuncGraph needs.
	if err := t.write("trace_options", "funcgraph-tail"); err != nil {
		return nil, nil, err
	}
	return t, untraced, nil
}

// available returns the functions set_ftrace_filter accepts.
func (t *tracer) available() (map[string]bool, error) {
	f, err := os.Open(t.dir + "/available_filter_functions")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), " ")
		m[name] = true
	}
	return m, sc.Err()
}

func (t *tracer) write(file, value string) error {
	f, err := os.OpenFile(t.dir+"/"+file, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("ftrace: %w", err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ftrace: writing %q to %s: %w", value, file, err)
	}
	return nil
}

// start empties the trace buffer and starts recording.
func (t *tracer) start() error {
	if err := t.write("trace", ""); err != nil {
		return err
	}
	return t.write("tracing_on", "1")
}

// stop stops tracing and returns the time in each function since start,
// and the number of events ftrace lost.
func (t *tracer) stop() ([]kbench.FuncTime, int, error) {
	if err := t.write("tracing_on", "0"); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(t.dir + "/trace")
	if err != nil {
		return nil, 0, err
	}
	m, lost, err := kbench.ParseFuncGraph(bufio.NewReaderSize(f, 1<<16))
	f.Close()
	if err != nil {
		return nil, 0, err
	}
	return kbench.InOrder(m), lost, nil
}
