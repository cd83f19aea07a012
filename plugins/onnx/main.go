package main

import "github.com/arthost/arthost/sdk"

func main() { sdk.Serve(newEstimator()) }
