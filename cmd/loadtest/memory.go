package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// memoryRun loads the unsigned instance for 60 s at 256 connections with
// each mix of endpoints, then reports its resident memory.
func memoryRun(s *services, w io.Writer) error {
	for _, name := range memoryMixes {
		if err := memoryRunMix(s, w, name); err != nil {
			return err
		}
	}
	return nil
}

func memoryRunMix(s *services, w io.Writer, mix string) error {
	dir, err := os.MkdirTemp("", "wrk-mem-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "mix.lua")
	if err := os.WriteFile(script, []byte(mixScript(mixes[mix])), 0o644); err != nil {
		return err
	}
	run, err := runWrk(s.url("plain")+"/", script, 256, 60*time.Second)
	if err != nil {
		return err
	}
	rss, hwm, err := procMemory(s.procs["plain"].Process.Pid)
	if err != nil {
		return err
	}
	verdict := "PASS"
	if rss >= 40<<20 || run.non2xx > 0 || run.socketEr > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\nmemory, %s mix %v: 60 s, 256 connections: %.0f req/s, %d non-2xx, %d socket errors\n", mix, mixes[mix], run.rps, run.non2xx, run.socketEr)
	fmt.Fprintf(w, "        RSS after the run %.1f MB (peak %.1f MB), target < 40 MB: %s\n", mb(rss), mb(hwm), verdict)
	return nil
}

// mixes are the request mixes of the memory run, out of 20 requests:
// "even" gives every endpoint the same share, "production" weighs them as
// traffic does (clients ask autoconfig and Autodiscover at every start; a
// person asks for a profile or a QR code once per device).
// memoryMixes are run in this order (MAILAUTOCONF_MIXES narrows them).
var memoryMixes = []string{"production", "even"}

func init() {
	if v := os.Getenv("MAILAUTOCONF_MIXES"); v != "" {
		memoryMixes = strings.Split(v, ",")
	}
}

var mixes = map[string][4]int{
	"even":       {5, 5, 5, 5},
	"production": {9, 9, 1, 1},
}

// mixScript cycles through the endpoints in the given shares (Thunderbird,
// Autodiscover, profile, QR code, out of 20), with 5,000 distinct users on
// 50 domains, so that caches are exercised and overflow.
func mixScript(shares [4]int) string {
	var b strings.Builder
	b.WriteString("local n = 0\nlocal body = " + luaLongString(autodiscoverBody) + "\n")
	fmt.Fprintf(&b, "local t1, t2, t3 = %d, %d, %d\n", shares[0], shares[0]+shares[1], shares[0]+shares[1]+shares[2])
	b.WriteString(`request = function()
  n = n + 1
  local k = n % 20
  local addr = "user" .. (n % 5000) .. "@example" .. (n % 50) .. ".ch"
  if k < t1 then
    return wrk.format("GET", "/mail/config-v1.1.xml?emailaddress=" .. addr)
  elseif k < t2 then
    local b = string.gsub(body, "jane.doe@example.ch", addr)
    return wrk.format("POST", "/autodiscover/autodiscover.xml", {["Content-Type"] = "text/xml"}, b)
  elseif k < t3 then
    return wrk.format("GET", "/apple/mail.mobileconfig?email=" .. addr)
  else
    return wrk.format("GET", "/qr.png?client=apple-ios&email=" .. addr)
  end
end
`)
	return b.String()
}

// procMemory reads VmRSS and VmHWM (peak) of a process, in bytes.
func procMemory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int64
		switch {
		case strings.HasPrefix(sc.Text(), "VmRSS:"):
			fmt.Sscanf(strings.TrimPrefix(sc.Text(), "VmRSS:"), "%d", &kb)
			rss = kb << 10
		case strings.HasPrefix(sc.Text(), "VmHWM:"):
			fmt.Sscanf(strings.TrimPrefix(sc.Text(), "VmHWM:"), "%d", &kb)
			hwm = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// scaleRun writes a configuration with 100,000 domains and measures how long
// `check` takes to load and validate it, and its peak memory.
func scaleRun(binary, work string, w io.Writer) error {
	path := filepath.Join(work, "100k.yaml")
	if err := os.WriteFile(path, []byte(testkit.BigConfig(100000)), 0o644); err != nil {
		return err
	}
	start := time.Now()
	cmd := exec.Command(binary, "check", "--config", path)
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("check on 100k domains: %v: %s", err, out)
	}
	maxRSS := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10
	verdict := "PASS"
	if elapsed >= 2*time.Second || maxRSS >= 150<<20 {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\nscale: 100,000 domains loaded and validated in %s, peak RSS %.1f MB (targets < 2 s, < 150 MB): %s\n",
		elapsed.Round(time.Millisecond), mb(maxRSS), verdict)
	return nil
}
