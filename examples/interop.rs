//! Calling outerprod on ndarray, nalgebra and faer data without copying.
//!
//! ```sh
//! cargo run --release --example interop --features ndarray,nalgebra,faer
//! ```
//!
//! Every `try_from` below borrows the caller's memory (a view, not a copy), strides and all:
//! a reversed ndarray slice, a nalgebra column-major matrix, a padded faer sub-block.

use std::error::Error;

use ndarray::{array, s, Array2};
use outerprod::{gemm, ger, outer, MatMut, MatRef, Matrix, VecRef};

fn main() -> Result<(), Box<dyn Error>> {
    // --- ndarray -------------------------------------------------------------------------
    // A ← A + α x yᵀ on every other column of an ndarray matrix, with x read backwards.
    let mut a = Array2::<f64>::zeros((3, 6));
    let x = array![1.0, 2.0, 3.0];
    let y = array![10.0, 20.0, 30.0];
    ger(
        0.5,
        VecRef::try_from(x.slice(s![..;-1]))?, // stride -1: 3, 2, 1
        VecRef::try_from(&y)?,
        MatMut::try_from(a.slice_mut(s![.., ..;2]))?, // column stride 2
    )?;
    println!(
        "ndarray: 0.5 · rev(x) yᵀ written into the even columns of a 3×6 zero matrix:\n{a:.1}"
    );

    // C ← A Bᵀ with Bᵀ a transposed ndarray view (no copy: strides swap).
    let lhs = array![[1.0, 2.0], [3.0, 4.0]];
    let rhs = array![[5.0, 6.0], [7.0, 8.0]];
    let mut c = Array2::<f64>::zeros((2, 2));
    gemm(
        1.0,
        MatRef::try_from(&lhs)?,
        MatRef::try_from(rhs.t())?,
        0.0,
        MatMut::try_from(&mut c)?,
    )?;
    assert_eq!(c, lhs.dot(&rhs.t()));
    println!("ndarray: A·Bᵀ (matches ndarray's dot) =\n{c}");

    // An outerprod Matrix becomes an Array2 by moving its Vec.
    let m = outer(&[1, 2, 3], &[4, 5]);
    let arr = Array2::from(m);
    println!("Matrix → Array2 (buffer moved):\n{arr}");

    // --- nalgebra ------------------------------------------------------------------------
    let na = nalgebra::DMatrix::from_fn(3, 4, |i, j| (i + j) as f64);
    let nb = nalgebra::DMatrix::from_fn(4, 2, |i, j| i as f64 - j as f64);
    let mut nc = nalgebra::DMatrix::<f64>::zeros(3, 2);
    gemm(
        1.0,
        MatRef::try_from(&na)?,
        MatRef::try_from(&nb)?,
        0.0,
        MatMut::try_from(&mut nc)?,
    )?;
    assert_eq!(nc, &na * &nb);
    println!("nalgebra: column-major A·B through outerprod's gemm = {nc}");
    // nalgebra strides are unsigned, so a reversed outerprod view cannot go back:
    let data = [1.0, 2.0, 3.0, 4.0];
    let rev = MatRef::row_major(&data, 2, 2)?.reverse_rows();
    match nalgebra::DMatrixView::<f64, nalgebra::Dyn, nalgebra::Dyn>::try_from(rev) {
        Ok(_) => unreachable!("negative strides are refused"),
        Err(e) => println!("nalgebra: {e}"),
    }

    // --- faer ----------------------------------------------------------------------------
    // faer pads its columns; a sub-block of a faer Mat has gaps that outerprod never touches.
    let mut f = faer::Mat::from_fn(5, 5, |_, _| 0.0f64);
    let block = f.as_mut().submatrix_mut(1, 1, 3, 3);
    ger(
        1.0,
        VecRef::from(&[1.0, 2.0, 3.0]),
        VecRef::from(&[1.0, -1.0, 0.5]),
        MatMut::try_from(block)?,
    )?;
    println!(
        "faer: x yᵀ written into the middle 3×3 of a 5×5 (column stride {}):",
        f.col_stride()
    );
    println!("{}", Matrix::from(&f));
    Ok(())
}
