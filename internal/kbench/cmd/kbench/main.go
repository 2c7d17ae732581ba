// Command kbench runs the real-kernel benchmark (`make kbench`): for each
// kernel line it boots a Debian cloud kernel in a qemu VM (package vmtest)
// with the benchmark program (internal/kbench/cmd/kbench-vm) as the
// command, plus Debian's /usr/bin/ip and /usr/bin/strace with their shared
// libraries, and prints a table of the results per kernel.
//
// The VMs boot one after the other, not in parallel, so that they do not
// compete for the host's CPUs while timing.
//
// Usage: go run ./internal/kbench/cmd/kbench [-kernels 6.1,6.12] [-n 1000] [-rounds 3]
// [-workloads sessions,tunnels] [-variants ...] [-ftrace=false]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nl2tp/nl2tp/internal/kbench"
	"github.com/nl2tp/nl2tp/internal/vmtest"
	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

func main() { vmtest.Main("kbench", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kernels := fs.String("kernels", strings.Join(vmtest.LineNames(), ","), "comma-separated kernel `lines`")
	cache := fs.String("cache", "", "cache `folder` (default: .cache in the module root)")
	n := fs.Int("n", 1000, "`items` (sessions, tunnels) to create and delete")
	rounds := fs.Int("rounds", 3, "timed `rounds` per variant (the tables show medians)")
	variants := fs.String("variants", strings.Join(kbench.Variants, ","), "comma-separated `variants`")
	workloads := fs.String("workloads", strings.Join(kbench.Workloads, ","), "comma-separated `workloads`")
	ftrace := fs.Bool("ftrace", true, "time kernel functions with ftrace in a run of their own")
	ifnames := fs.Bool("ifnames", false, "name each session's interface instead of letting the kernel pick l2tpethN (an experiment)")
	ip := fs.String("ip", "/usr/bin/ip", "iproute2's ip `program` on the host, copied into the VM")
	strace := fs.String("strace", "/usr/bin/strace", "strace `program` on the host, copied into the VM")
	cpus := fs.Int("cpus", 2, "VM `CPUs`")
	verbose := fs.Bool("v", false, "show the VM console")
	if ok, err := vmtest.ParseFlags(fs, args); !ok {
		return err
	}
	lines, err := vmtest.KernelLines(*kernels)
	if err != nil {
		return err
	}
	root, cacheDir, err := vmtest.Folders(*cache)
	if err != nil {
		return err
	}

	bin, err := os.MkdirTemp("", "kbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	initBin, benchBin, err := vmtest.BuildCommand(ctx, root, "./internal/kbench/cmd/kbench-vm", bin)
	if err != nil {
		return err
	}
	files := map[string]string{"/kbench-vm": benchBin}
	for _, prog := range []string{*ip, *strace} {
		fs, err := vmtest.HostBinary(prog)
		if err != nil {
			return fmt.Errorf("%w (install iproute2 and strace: .ci/install)", err)
		}
		for g, h := range fs {
			files[g] = h
		}
	}
	argv := []string{"/kbench-vm", "-n", strconv.Itoa(*n), "-rounds", strconv.Itoa(*rounds),
		"-variants", *variants, "-workloads", *workloads, "-ftrace=" + strconv.FormatBool(*ftrace), "-ifnames=" + strconv.FormatBool(*ifnames), "-ip", *ip, "-strace", *strace}

	fmt.Fprintln(stdout, "Legend (each phase is a fresh process started in the benchmark's network namespace):")
	for _, wl := range kbench.Workloads {
		fmt.Fprintf(stdout, " %s:\n", wl)
		for _, v := range kbench.Variants {
			fmt.Fprintf(stdout, "  %-12s %s\n", v, kbench.Describe[wl][v])
		}
	}
	fmt.Fprintln(stdout, "  send/recv: system calls on netlink sockets over both phases, counted under strace in a separate run;")
	fmt.Fprintln(stdout, "  peek = receive calls with MSG_PEEK (sizing the next datagram), again = receive calls that found nothing (EAGAIN);")
	fmt.Fprintln(stdout, "  start-up: a phase process with nothing to do (included in create and delete, which are whole processes);")
	fmt.Fprintln(stdout, "  cpu usr/sys: CPU time of the create and delete processes in user space / in the kernel (waits count in neither);")
	fmt.Fprintln(stdout, "  settle: after the delete process exited, until the last item (and interface) was gone (not in total);")
	fmt.Fprintln(stdout, "  best: the least of the rounds (the host's other load only ever adds time); total = create + delete of one round;")
	fmt.Fprintln(stdout, "  vs single / vs ip: best total / best create time of single / ip-batch divided by the variant's.")
	fmt.Fprintln(stdout, "  kernel functions: timed by ftrace's function_graph tracer in one more run, with one CPU online; the floor is the least")
	fmt.Fprintln(stdout, "  time in the create and delete handlers plus two process start-ups, which every variant pays; bound = best total / floor.")
	var errs []error
	for _, line := range lines {
		k, err := vmtest.Fetch(ctx, cacheDir, line, stderr)
		if err != nil {
			errs = append(errs, fmt.Errorf("kernel %s: %w", line, err))
			continue
		}
		p := &vmtest.Reports[kbench.Info, kbench.Result]{InfoMark: kbench.MarkInfo, ItemMark: kbench.MarkResult,
			Prefix: "[" + line + "] ", Log: stderr, Verbose: *verbose, Show: "kbench-vm:"}
		cfg := &vmtest.Config{
			Kernel:   k,
			Init:     initBin,
			Files:    files,
			Modules:  vmtest.TestModules,
			Timeout:  40 * time.Minute,
			Console:  p,
			MemoryMB: 1536,
			CPUs:     *cpus,
		}
		start, loadBefore := time.Now(), loadAvg()
		code, _, err := vmtest.RunCommand(ctx, cfg, guest.Command{Argv: argv})
		switch {
		case p.Err != nil:
			err = p.Err
		case err == nil && code != 0:
			err = fmt.Errorf("kbench-vm exited with status %d (run with -v to see the console)", code)
		case err == nil && p.Info == nil:
			err = errors.New("kbench-vm printed no results")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("kernel %s: %w", line, err))
			continue
		}
		fmt.Fprintf(stderr, "kbench: kernel %s done in %v\n", line, time.Since(start).Round(time.Second))
		for _, wl := range kbench.Workloads {
			if !slices.ContainsFunc(p.Items, func(r kbench.Result) bool { return r.Workload == wl }) {
				continue
			}
			fmt.Fprintln(stdout)
			if err := kbench.WriteTable(stdout, p.Info, wl, p.Items); err != nil {
				return err
			}
			if err := kbench.WriteKernel(stdout, p.Info, wl, p.Items); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "(%s; %s; VM: %d CPUs, uevent helper %s; ftrace: %s",
			p.Info.IP, p.Info.Strace, p.Info.CPUs, p.Info.Hotplug, p.Info.Ftrace)
		if len(p.Info.Untraced) > 0 {
			fmt.Fprintf(stdout, ", not traceable here: %s", strings.Join(p.Info.Untraced, " "))
		}
		fmt.Fprintf(stdout, "; host load average %s before, %s after, on %d CPUs)\n", loadBefore, loadAvg(), runtime.NumCPU())
	}
	return errors.Join(errs...)
}

// loadAvg returns the host's one-minute load average: the VMs run under
// TCG, so other work on the host slows them down.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}
