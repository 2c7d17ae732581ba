package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/nl2tp/nl2tp/internal/text"
)

// batchLine is one command of a batch file.
type batchLine struct {
	num  int      // 1-based line number
	args []string // the line's words, without a leading "l2tp"
	cmd  command  // nil if err is set
	err  error    // the line's usage error
}

// tokenize splits a batch line into words as iproute2's makeargs does:
// blanks separate words, double or single quotes group them, and '#' at the
// start of a word starts a comment.
func tokenize(line string) ([]string, error) {
	var words []string
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			return words, nil
		case c == '"' || c == '\'':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				return nil, usageErr("unterminated " + string(rune(c)) + " quote")
			}
			words = append(words, line[i+1:i+1+end])
			i += end + 2
		default:
			j := i
			for j < len(line) && !strings.ContainsRune(" \t\r\n", rune(line[j])) {
				j++
			}
			words = append(words, line[i:j])
			i = j
		}
	}
	return words, nil
}

// parseBatch reads a batch file: one command per line, as on the command
// line without "nl2tp" (a leading "l2tp", as in "ip -batch" files, is
// skipped). Blank and comment lines are skipped. Lines that do not parse
// come back with err set; the error return is for reading only.
func parseBatch(r io.Reader) ([]batchLine, error) {
	var lines []batchLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		words, err := tokenize(sc.Text())
		if err == nil && len(words) > 0 && words[0] == "l2tp" {
			words = words[1:]
		}
		if err == nil && len(words) == 0 {
			continue
		}
		l := batchLine{num: n, args: words, err: err}
		if err == nil {
			l.cmd, l.err = parseCommand(words)
		}
		if l.err == nil {
			switch l.cmd.(type) {
			case *helpCmd, *monitorCmd:
				l.cmd, l.err = nil, usageErr(strconv.Quote(words[0])+" cannot be used in a batch")
			}
		}
		lines = append(lines, l)
	}
	return lines, sc.Err()
}

// batchable reports whether c can go into a netlink batch.
func batchable(c command) bool {
	switch c.(type) {
	case *addTunnelCmd, *delTunnelCmd, *addSessionCmd, *delSessionCmd:
		return true
	}
	return false
}

// runBatch runs -batch FILE.
func runBatch(ctx context.Context, g globalOpts, stdin io.Reader, stdout, stderr io.Writer, dial dialFunc) error {
	r := stdin
	name := "stdin"
	if g.batch != "-" {
		f, err := os.Open(g.batch)
		if err != nil {
			return usageErr("batch: " + err.Error())
		}
		defer f.Close()
		r, name = f, g.batch
	}
	lines, err := parseBatch(r)
	if err != nil {
		return text.Wrap("batch "+name+": ", err, "")
	}
	var usageErrs int
	var good []batchLine
	for _, l := range lines {
		if l.err != nil {
			usageErrs++
			io.WriteString(stderr, "nl2tp: batch line "+text.Itoa(l.num)+": "+oneLine(l.err.Error())+"\n")
			continue
		}
		for _, k := range ignoredKeywords(l.args) {
			io.WriteString(stderr, "batch line "+text.Itoa(l.num)+": Ignoring option "+strconv.Quote(k)+"\n")
		}
		good = append(good, l)
	}
	if usageErrs > 0 && !g.force {
		return usageErr("batch " + name + ": " + text.Itoa(usageErrs) + " of " + text.Itoa(len(lines)) + " lines are wrong; nothing was done")
	}
	if len(good) == 0 {
		if usageErrs > 0 {
			return usageErr("batch " + name + ": " + text.Itoa(usageErrs) + " of " + text.Itoa(len(lines)) + " lines are wrong")
		}
		return nil
	}
	b, err := dial(g.netns)
	if err != nil {
		return err
	}
	defer b.Close()
	bw := bufio.NewWriter(stdout)
	defer bw.Flush()

	failed, done := 0, 0
	report := func(l batchLine, err error) {
		failed++
		io.WriteString(stderr, "nl2tp: batch line "+text.Itoa(l.num)+": "+oneLine(err.Error())+"\n")
	}
	for i := 0; i < len(good); {
		if failed > 0 && !g.force {
			break
		}
		if !batchable(good[i].cmd) {
			err := execute(ctx, b, good[i].cmd, g.printOpts, bw)
			if ferr := bw.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				report(good[i], err)
			}
			done++
			i++
			continue
		}
		j := i
		for j < len(good) && batchable(good[j].cmd) {
			j++
		}
		group := good[i:j]
		ops := make([]command, len(group))
		for k, l := range group {
			ops[k] = l.cmd
		}
		errs, err := b.Batch(ctx, ops)
		if err != nil {
			return text.Wrap("batch "+name+": lines "+text.Itoa(group[0].num)+"-"+text.Itoa(group[len(group)-1].num)+": ", err, "")
		}
		if len(errs) != len(ops) {
			return errors.New("batch " + name + ": lines " + text.Itoa(group[0].num) + "-" + text.Itoa(group[len(group)-1].num) + ": got " + text.Itoa(len(errs)) + " results for " + text.Itoa(len(ops)) + " commands")
		}
		for k, e := range errs {
			if e != nil {
				report(group[k], &opError{ops[k].op(), e})
			}
		}
		done += len(group)
		i = j
	}
	switch {
	case failed > 0:
		skipped := len(good) - done
		msg := "batch " + name + ": " + text.Itoa(failed) + " of " + text.Itoa(len(lines)) + " commands failed"
		if skipped > 0 {
			msg += ", " + text.Itoa(skipped) + " not run (use -force to go on after a failure)"
		}
		return errors.New(msg)
	case usageErrs > 0:
		return usageErr("batch " + name + ": " + text.Itoa(usageErrs) + " of " + text.Itoa(len(lines)) + " lines are wrong")
	}
	return nil
}
