// Command vmrun runs the kernel tests in qemu VMs, one per Debian kernel
// line, and prints one summary line per kernel:
//
//	vmtest: kernel 6.12.117+deb12-cloud-amd64
//	vm-6.12: 42 passed, 0 failed, 0 skipped
//
// It exits non-zero if a test failed, a test binary exited non-zero, a
// kernel panicked or a VM timed out. With -fetch it only downloads and
// unpacks the kernels.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nl2tp/nl2tp/internal/vmtest"
)

func main() { vmtest.Main("vmrun", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vmrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		kernels   = fs.String("kernels", strings.Join(vmtest.LineNames(), ","), "comma-separated kernel `lines` to run on")
		pkgs      = fs.String("pkgs", strings.Join(vmtest.DefaultPackages, ","), "comma-separated `packages` with kernel tests")
		runRE     = fs.String("run", "", "run only the tests matching `regexp` (go test -run)")
		cache     = fs.String("cache", "", "cache `folder` (default: .cache in the module root)")
		timeout   = fs.Duration("timeout", 15*time.Minute, "time limit of each VM")
		testTime  = fs.Duration("test.timeout", 10*time.Minute, "time limit of each test binary")
		parallel  = fs.Bool("parallel", false, "boot the kernels at the same time")
		fetchOnly = fs.Bool("fetch", false, "only fetch and unpack the kernels")
		verbose   = fs.Bool("v", false, "show the kernel's boot messages")
		gz        = fs.Bool("gzip", false, "gzip the initramfs")
		mem       = fs.Int("m", 1024, "VM memory in `MiB`")
		cpus      = fs.Int("smp", 2, "VM CPUs")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: vmrun [flags]\n\nRuns the kernel tests in qemu VMs.\n\n")
		fs.PrintDefaults()
	}
	if ok, err := vmtest.ParseFlags(fs, args); !ok {
		return err
	}
	root, cacheDir, err := vmtest.Folders(*cache)
	if err != nil {
		return err
	}
	lines, err := vmtest.KernelLines(*kernels)
	if err != nil {
		return err
	}

	// Fetch the kernels while building the binaries.
	start := time.Now()
	ks := make([]*vmtest.Kernel, len(lines))
	fetchErr := make(chan error, 1)
	go func() {
		errs := make([]error, len(lines))
		var wg sync.WaitGroup
		for i, l := range lines {
			wg.Go(func() { ks[i], errs[i] = vmtest.Fetch(ctx, cacheDir, l, stderr) })
		}
		wg.Wait()
		fetchErr <- errors.Join(errs...)
	}()
	var tests []vmtest.TestBinary
	// Binaries go to a folder of this run's own: several runs may share
	// the tree.
	bin, err := os.MkdirTemp("", "vmrun-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	initBin := filepath.Join(bin, "vminit")
	var buildErr error
	if !*fetchOnly {
		buildErr = vmtest.BuildInit(ctx, root, initBin)
		if buildErr == nil {
			tests, buildErr = vmtest.BuildTests(ctx, root, vmtest.SplitList(*pkgs), bin)
		}
	}
	if err := <-fetchErr; err != nil {
		return err
	}
	if buildErr != nil {
		return buildErr
	}
	for _, k := range ks {
		fmt.Fprintf(stderr, "vmrun: kernel %s %s (%s) in %s\n", k.Line, k.Package, k.Version, k.Dir)
	}
	if *fetchOnly {
		return nil
	}
	if len(tests) == 0 {
		return fmt.Errorf("no test binaries: none of %s has tests", *pkgs)
	}
	names := make([]string, len(tests))
	for i, t := range tests {
		names[i] = t.Name
	}
	fmt.Fprintf(stderr, "vmrun: built %s in %v\n", strings.Join(names, ", "), time.Since(start).Round(time.Millisecond))

	testArgs := []string{"-test.timeout=" + testTime.String()}
	if *runRE != "" {
		testArgs = append(testArgs, "-test.run="+*runRE)
	}
	opts := vmtest.SuiteOptions{
		Init:    initBin,
		Tests:   tests,
		Args:    testArgs,
		Timeout: *timeout,
		Console: &lockedWriter{w: stdout},
		Boot:    vmtest.Config{MemoryMB: *mem, CPUs: *cpus, Verbose: *verbose, Gzip: *gz},
	}
	if fi, err := os.Stat(filepath.Join(root, "testdata")); err == nil && fi.IsDir() {
		opts.RootTestdata = filepath.Join(root, "testdata")
	}
	sums := make([]*vmtest.Summary, len(ks))
	errs := make([]error, len(ks))
	var wg sync.WaitGroup
	for i, k := range ks {
		do := func() {
			sums[i], errs[i] = vmtest.RunSuite(ctx, k, &opts)
		}
		if *parallel {
			wg.Go(do)
		} else {
			do()
		}
	}
	wg.Wait()

	failed := false
	for i, k := range ks {
		s := sums[i]
		if errs[i] != nil {
			failed = true
			s := vmtest.Summary{Line: k.Line}
			fmt.Fprintf(stdout, "vmtest: kernel %s\n%s\nvm-%s: FAIL: %v\n", k.Release, &s, k.Line, errs[i])
			continue
		}
		release := s.Release
		if release == "" {
			release = k.Release + " (not reported by the VM)"
		}
		fmt.Fprintf(stdout, "vmtest: kernel %s\n%s\n", release, s)
		if s.Boot != nil {
			if s.Boot.FirstOutput > 0 {
				fmt.Fprintf(stdout, "vmtest: vm-%s booted to /init in %v, ran in %v\n", k.Line,
					s.Boot.FirstOutput.Round(10*time.Millisecond), s.Boot.Elapsed.Round(10*time.Millisecond))
			} else {
				fmt.Fprintf(stdout, "vmtest: vm-%s never reached /init, ran in %v\n", k.Line, s.Boot.Elapsed.Round(10*time.Millisecond))
			}
			for _, w := range s.Boot.KernelWarnings {
				fmt.Fprintf(stdout, "vm-%s: kernel: %s\n", k.Line, w)
			}
		}
		for _, p := range s.Problems {
			fmt.Fprintf(stdout, "vm-%s: FAIL: %s\n", k.Line, p)
		}
		if !s.OK() {
			failed = true
		}
	}
	fmt.Fprintf(stdout, "vmtest: total %v\n", time.Since(start).Round(10*time.Millisecond))
	if failed {
		return errors.New("the VM suite failed")
	}
	return nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
