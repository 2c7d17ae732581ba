// Command ratio pairs the benchmarks of two `go test -bench -benchmem`
// outputs by name and prints how many times faster the first side is, with
// both sides' allocations and the targets of nl2tp's issue 7.
//
//	ratio [-check] [-stat median|min] nl2tp.txt seed.txt
//
// Each file may hold several runs (-count or repeated invocations); the
// median of each metric is used, or with -stat min the fastest run, which
// filters out the load of a busy machine. Benchmarks present on one side only are
// listed after the table. With -check, ratio exits 1 when a target is
// missed.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ratio:", err)
		os.Exit(1)
	}
}

// A target is what issue 7 asks of the first side for benchmarks whose
// name has a given suffix: at least Speedup times faster than the second,
// with at most MaxAllocs allocations per op.
type target struct {
	suffix    string
	speedup   float64
	maxAllocs float64
}

var targets = []target{
	{"/EncodeTunnelCreate", 15, 0},
	{"/EncodeSessionCreate", 15, 0},
	{"/DecodeSessionGet", 8, 1},
	{"/DecodeDump1000", 8, 1000},
}

var errMissed = errors.New("a target was missed")

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ratio", flag.ContinueOnError)
	check := fs.Bool("check", false, "exit 1 when a target is missed")
	stat := fs.String("stat", "median", "statistic of the runs: median or min")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ratio [-check] [-stat median|min] ours.txt base.txt")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var pick func([]float64) float64
	switch *stat {
	case "median":
		pick = median
	case "min":
		pick = slices.Min[[]float64]
	default:
		return fmt.Errorf("-stat must be median or min, got %q", *stat)
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("want two files")
	}
	ours, err := parseFile(fs.Arg(0))
	if err != nil {
		return err
	}
	base, err := parseFile(fs.Arg(1))
	if err != nil {
		return err
	}
	missed := report(stdout, ours, base, pick)
	if missed && *check {
		return errMissed
	}
	return nil
}

// results maps a benchmark name, without its -GOMAXPROCS suffix, to its
// runs.
type results map[string][]sample

type sample struct{ ns, bytes, allocs float64 }

func parseFile(name string) (results, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(r) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", name)
	}
	return r, nil
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads benchmark lines: name, iterations, then value-unit pairs.
func parse(r io.Reader) (results, error) {
	res := results{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		s := sample{ns: -1, bytes: -1, allocs: -1}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: value %q: %w", f[0], f[i], err)
			}
			switch f[i+1] {
			case "ns/op":
				s.ns = v
			case "B/op":
				s.bytes = v
			case "allocs/op":
				s.allocs = v
			}
		}
		if s.ns < 0 {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		res[name] = append(res[name], s)
	}
	return res, sc.Err()
}

func median(v []float64) float64 {
	v = slices.Sorted(slices.Values(v))
	if n := len(v); n%2 == 1 {
		return v[n/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func metric(ss []sample, get func(sample) float64, pick func([]float64) float64) float64 {
	v := make([]float64, 0, len(ss))
	for _, s := range ss {
		v = append(v, get(s))
	}
	return pick(v)
}

// report prints the table and says whether a target was missed.
func report(w io.Writer, ours, base results, pick func([]float64) float64) bool {
	var names, only []string
	for n := range ours {
		if _, ok := base[n]; ok {
			names = append(names, n)
		} else {
			only = append(only, "nl2tp: "+n)
		}
	}
	for n := range base {
		if _, ok := ours[n]; !ok {
			only = append(only, "seed: "+n)
		}
	}
	slices.Sort(names)
	slices.Sort(only)

	missed := false
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "benchmark\tnl2tp ns/op\tseed ns/op\tspeedup\tnl2tp allocs\tseed allocs\tnl2tp B/op\tseed B/op\truns\ttarget\t")
	for _, n := range names {
		o, b := ours[n], base[n]
		ns := func(s sample) float64 { return s.ns }
		allocs := func(s sample) float64 { return s.allocs }
		bytes := func(s sample) float64 { return s.bytes }
		ons, bns := metric(o, ns, pick), metric(b, ns, pick)
		oal, bal := metric(o, allocs, pick), metric(b, allocs, pick)
		oby, bby := metric(o, bytes, pick), metric(b, bytes, pick)
		speed := bns / ons
		verdict := "-"
		for _, t := range targets {
			if strings.HasSuffix(n, t.suffix) {
				verdict = fmt.Sprintf("≥%g× ≤%g allocs: ", t.speedup, t.maxAllocs)
				if speed >= t.speedup && oal >= 0 && oal <= t.maxAllocs {
					verdict += "ok"
				} else {
					verdict += "MISSED"
					missed = true
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f×\t%g\t%g\t%g\t%g\t%d/%d\t%s\t\n",
			strings.TrimPrefix(n, "Benchmark"), ons, bns, speed, oal, bal, oby, bby, len(o), len(b), verdict)
	}
	tw.Flush()
	for _, n := range only {
		fmt.Fprintln(w, "unpaired", n)
	}
	return missed
}
