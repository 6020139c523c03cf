// Command bench measures mock servers side by side: start-up time (launch to first 200), requests
// per second and p50/p99 latency under wrk, and resident memory. Run it through run.sh, which
// builds galeno and installs wrk and Prism first.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// target is one server to measure; {port} in its command is replaced.
type target struct {
	name    string
	command []string
}

// result is one run of a target, or a summary of its runs.
type result struct {
	startup      time.Duration
	rps          float64
	p50, p99     time.Duration
	rss, peakRSS int64 // KiB
}

func main() {
	galeno := flag.String("galeno", "bin/galeno", "galeno binary")
	prism := flag.String("prism", "", "prism binary (skipped when empty)")
	spec := flag.String("spec", "openapi.yaml", "spec file served by both")
	path := flag.String("path", "/api/v2/medics/", "request path")
	header := flag.String("header", "Authorization: Token bench", "request header")
	duration := flag.Duration("duration", 8*time.Second, "measured load per run")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured load before each run")
	connections := flag.Int("connections", 16, "wrk connections")
	runs := flag.Int("runs", 5, "runs per server, alternating between servers")
	pin := flag.Bool("pin", true, "pin servers to CPU 0 and wrk to CPU 1, so they do not fight over cores")
	flag.Parse()

	targets := []target{
		{"galeno mock (embedded contract, --quiet)", []string{*galeno, "mock", "--addr", "127.0.0.1:{port}", "--quiet"}},
		{"galeno mock --spec, --quiet", []string{*galeno, "mock", "--addr", "127.0.0.1:{port}", "--spec", *spec, "--quiet"}},
		{"galeno mock --spec, logging every request", []string{*galeno, "mock", "--addr", "127.0.0.1:{port}", "--spec", *spec}},
	}
	if *prism != "" {
		targets = append(targets, target{"prism mock -v silent", []string{*prism, "mock", "-h", "127.0.0.1", "-p", "{port}", "-v", "silent", *spec}})
	}
	b := bench{path: *path, header: *header, duration: *duration, warmup: *warmup, connections: *connections, pin: *pin}
	// Runs alternate between servers so that noise from other processes hits them alike.
	all := make([][]result, len(targets))
	for run := range *runs {
		for i, t := range targets {
			r, err := b.measure(t, 4100+10*i+run)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s: %v\n", t.name, err)
				os.Exit(1)
			}
			fmt.Fprintf(os.Stderr, "%s, run %d: start-up %v, %.0f req/s, p50 %v, p99 %v, RSS %d KiB, load average %s\n",
				t.name, run+1, r.startup.Round(time.Millisecond), r.rps, r.p50, r.p99, r.peakRSS, loadAverage())
			all[i] = append(all[i], r)
		}
	}
	fmt.Printf("GET %s, %s, wrk -t1 -c%d -d%s (after %s of warm-up), %d runs per server",
		*path, *header, *connections, *duration, *warmup, *runs)
	if *pin {
		fmt.Print("; server on CPU 0, wrk on CPU 1")
	}
	fmt.Print(".\nEach cell: median of the runs / best run.\n\n")
	fmt.Println("| server | start-up | requests/s | p50 | p99 | RSS after load (peak) |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: |")
	medians := make([]result, len(targets))
	bests := make([]result, len(targets))
	for i, t := range targets {
		medians[i], bests[i] = summarize(all[i], len(all[i])/2), summarize(all[i], 0)
		m, b := medians[i], bests[i]
		fmt.Printf("| %s | %s / %s | %.0f / %.0f | %s / %s | %s / %s | %.1f MB (%.1f MB) |\n", t.name,
			ms(m.startup), ms(b.startup), m.rps, b.rps, ms(m.p50), ms(b.p50), ms(m.p99), ms(b.p99),
			float64(m.rss)/1024, float64(m.peakRSS)/1024)
	}
	if *prism != "" {
		last := len(targets) - 1
		fmt.Println()
		for i, t := range targets[:last] {
			fmt.Printf("- %s vs Prism: %.1f× the throughput (best runs: %.1f×), start-up %.0f× faster, p99 %.1f× lower\n",
				t.name, medians[i].rps/medians[last].rps, bests[i].rps/bests[last].rps,
				float64(medians[last].startup)/float64(medians[i].startup), float64(medians[last].p99)/float64(medians[i].p99))
		}
	}
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

type bench struct {
	path, header string
	duration     time.Duration
	warmup       time.Duration
	connections  int
	pin          bool
}

// measure starts the server, times its start-up, loads it with wrk and reads its memory.
func (b bench) measure(t target, port int) (result, error) {
	var r result
	args := make([]string, len(t.command))
	for i, a := range t.command {
		args[i] = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
	}
	if b.pin {
		args = append([]string{"taskset", "-c", "0"}, args...)
	}
	logFile, err := os.CreateTemp("", "bench-*.log")
	if err != nil {
		return r, err
	}
	defer os.Remove(logFile.Name())
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, b.path)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	if r.startup, err = b.firstOK(url, began, 60*time.Second); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		return r, fmt.Errorf("%w\n%s", err, log)
	}
	pid := cmd.Process.Pid // taskset, env and node exec in place: this is the server
	if _, err := b.wrk(url, b.warmup); err != nil {
		return r, err
	}
	out, err := b.wrk(url, b.duration)
	if err != nil {
		return r, err
	}
	if r.rps, r.p50, r.p99, err = parseWrk(out); err != nil {
		return r, fmt.Errorf("%w\n%s", err, out)
	}
	r.rss, r.peakRSS = memory(pid)
	return r, nil
}

// firstOK polls every millisecond until the server answers 200.
func (b bench) firstOK(url string, began time.Time, limit time.Duration) (time.Duration, error) {
	name, value, _ := strings.Cut(b.header, ": ")
	client := &http.Client{Timeout: time.Second}
	for time.Since(began) < limit {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set(name, value)
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(began), nil
			}
			return 0, fmt.Errorf("GET %s: %s", url, res.Status)
		}
		time.Sleep(time.Millisecond)
	}
	return 0, errors.New("no answer within " + limit.String())
}

func (b bench) wrk(url string, d time.Duration) (string, error) {
	args := []string{"wrk", "-t1", "-c" + strconv.Itoa(b.connections), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency", "-H", b.header, url}
	if b.pin {
		args = append([]string{"taskset", "-c", "1"}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("wrk: %w\n%s", err, out)
	}
	if strings.Contains(string(out), "Non-2xx") {
		return "", fmt.Errorf("wrk saw errors:\n%s", out)
	}
	return string(out), nil
}

var (
	rpsLine     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	latencyLine = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
)

func parseWrk(out string) (rps float64, p50, p99 time.Duration, err error) {
	m := rpsLine.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, 0, errors.New("no Requests/sec in wrk output")
	}
	rps, _ = strconv.ParseFloat(m[1], 64)
	for _, l := range latencyLine.FindAllStringSubmatch(out, -1) {
		d, err := time.ParseDuration(l[2] + strings.Replace(l[3], "us", "µs", 1))
		if err != nil {
			return 0, 0, 0, err
		}
		if l[1] == "50" {
			p50 = d
		} else {
			p99 = d
		}
	}
	if p50 == 0 || p99 == 0 {
		return 0, 0, 0, errors.New("no latency distribution in wrk output")
	}
	return rps, p50, p99, nil
}

// memory reads the resident set size and its peak, in KiB.
func memory(pid int) (rss, peak int64) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			peak = n
		}
	}
	return rss, peak
}

// summarize takes the rank-th best value of every measure on its own (0: the best, len/2: the
// median): the fastest start-up, the highest throughput, the lowest latencies and memory.
func summarize(rs []result, rank int) result {
	pick := func(f func(result) float64, higherIsBetter bool) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if higherIsBetter {
			slices.Reverse(v)
		}
		return v[rank]
	}
	return result{
		startup: time.Duration(pick(func(r result) float64 { return float64(r.startup) }, false)),
		rps:     pick(func(r result) float64 { return r.rps }, true),
		p50:     time.Duration(pick(func(r result) float64 { return float64(r.p50) }, false)),
		p99:     time.Duration(pick(func(r result) float64 { return float64(r.p99) }, false)),
		rss:     int64(pick(func(r result) float64 { return float64(r.rss) }, false)),
		peakRSS: int64(pick(func(r result) float64 { return float64(r.peakRSS) }, false)),
	}
}
