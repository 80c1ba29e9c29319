// Package suggest finds the likely intended name among candidates, for the
// "did you mean" hints of error messages. It bounds its work: a name longer
// than MaxName bytes gets no hint, and each comparison stops as soon as the
// distance exceeds what could still be a typo, so a huge name in a request
// costs nothing.
package suggest

import (
	"slices"
	"strings"
)

// MaxName is the longest name that gets a hint.
const MaxName = 64

// Closest returns the candidate closest to s when it is close enough to be
// a typo — equal but for case, or within an edit distance of 2 (1 for
// names of up to 3 characters; adjacent transpositions count once) — or
// "". Ties go to the candidate first in sorted order.
func Closest(s string, candidates []string) string {
	if len(s) > MaxName || s == "" {
		return ""
	}
	limit := 2
	if len(s) <= 3 {
		limit = 1
	}
	best, bestD := "", limit+1
	sorted := slices.Clone(candidates)
	slices.Sort(sorted)
	for _, c := range sorted {
		if strings.EqualFold(c, s) {
			return c
		}
		if d := Distance(s, c, bestD-1); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the restricted Damerau-Levenshtein distance of a and b
// (by bytes), or max+1 as soon as it is known to exceed max. It keeps
// three rows, not the whole matrix.
func Distance(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(b)+1) // row i-2
	prev := make([]int, len(b)+1)  // row i-1
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
