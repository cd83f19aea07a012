package attack_test

import (
	"context"
	"fmt"

	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/shared/tensor"
)

// ExampleNew runs FGSM on an estimator (here an in-process softmax
// regression with clip values [0, 1]; any host.Estimator with a loss
// gradient works, such as a plugin started by host/remote).
func ExampleNew() {
	est := loadSmall()
	x := tensor.FromFloat64([]float64{0.2, 0.4, 0.6, 0.95}, 1, 4)
	y := tensor.FromInt64([]int64{0}, 1)
	a, err := attack.New("fgsm", attack.Params{Norm: attack.NormInf, Eps: 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := a.Generate(context.Background(), est, x, y)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f, %d queries\n", res.Adv.F64, res.Queries)
	// Output: [0.10 0.50 0.70 0.85], 1 queries
}
