// Package report measures how an estimator's accuracy falls under attack
// and writes the result for people: Evaluate runs attacks over a range of
// eps on a labelled data set and returns a Report; Write saves it as
// report.json, report.html, and the plots the page shows (PNG files made
// with gonum.org/v1/plot next to it), readable without a server.
package report
