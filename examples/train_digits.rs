//! Trains a 64 → hidden → 10 MLP on the UCI optical handwritten digits (the copy scikit-learn
//! ships; see `data/README.md`) and reports the test accuracy on the fixed split.
//!
//! ```text
//! cargo run --release --example train_digits
//! ```
//!
//! One line per epoch: epoch, mean training loss, test accuracy, elapsed training time. The
//! last line is the final test accuracy on the fixed 1347/450 split in `data/digits_split.json`.

use std::error::Error;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use outerprod::grad::{
    softmax_cross_entropy_into, Accumulate, Activation, Adam, AdamConfig, Mlp, Optimizer,
};
use outerprod::{MatMut, MatRef, Matrix};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Pixels per image (8 × 8) and classes.
pub const FEATURES: usize = 64;
/// Digits 0..9.
pub const CLASSES: usize = 10;

/// The digits data on the fixed split, pixels scaled to [0, 1] (divided by 16).
pub struct Digits {
    /// (1347, 64) training images.
    pub x_train: Matrix<f32>,
    /// Training labels.
    pub y_train: Vec<usize>,
    /// (450, 64) test images.
    pub x_test: Matrix<f32>,
    /// Test labels.
    pub y_test: Vec<usize>,
}

/// Reads `data/digits.csv.gz` and `data/digits_split.json` from the crate's directory.
pub fn load_digits() -> Result<Digits, Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut csv = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(dir.join("digits.csv.gz"))?)
        .read_to_string(&mut csv)?;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (n, line) in csv.lines().enumerate() {
        let fields: Vec<u32> = line
            .split(',')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("digits.csv line {}: {e}", n + 1))?;
        if fields.len() != FEATURES + 1 || fields[FEATURES] as usize >= CLASSES {
            return Err(format!("digits.csv line {}: bad row", n + 1).into());
        }
        pixels.push(fields[..FEATURES].to_vec());
        labels.push(fields[FEATURES] as usize);
    }
    let json = std::fs::read_to_string(dir.join("digits_split.json"))?;
    let take = |key: &str| -> Result<(Matrix<f32>, Vec<usize>), Box<dyn Error>> {
        let idx = json_usize_list(&json, key)?;
        let mut x = Vec::with_capacity(idx.len() * FEATURES);
        let mut y = Vec::with_capacity(idx.len());
        for &i in &idx {
            let row = pixels
                .get(i)
                .ok_or(format!("split index {i} out of range"))?;
            x.extend(row.iter().map(|&p| p as f32 / 16.0));
            y.push(labels[i]);
        }
        Ok((Matrix::from_vec(idx.len(), FEATURES, x)?, y))
    };
    let (x_train, y_train) = take("train")?;
    let (x_test, y_test) = take("test")?;
    Ok(Digits {
        x_train,
        y_train,
        x_test,
        y_test,
    })
}

/// The integer list stored under `"key": [ … ]` in a flat JSON object.
fn json_usize_list(json: &str, key: &str) -> Result<Vec<usize>, Box<dyn Error>> {
    let pat = format!("\"{key}\":");
    let start = json.find(&pat).ok_or(format!("no key {key:?}"))? + pat.len();
    let body = json[start..].trim_start();
    let body = body
        .strip_prefix('[')
        .ok_or(format!("{key:?} is not a list"))?;
    let end = body.find(']').ok_or(format!("unterminated list {key:?}"))?;
    Ok(body[..end]
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?)
}

/// Training settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Hidden-layer width.
    pub hidden: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// Adam's peak learning rate (decayed by a cosine schedule to 0 over the run).
    pub learning_rate: f32,
    /// L2 weight decay (coupled, as scikit-learn's `alpha`).
    pub weight_decay: f32,
    /// Seed for the initial weights and the shuffling.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hidden: 128,
            epochs: 30,
            batch: 32,
            learning_rate: 3e-3,
            weight_decay: 1e-4,
            seed: 0,
        }
    }
}

/// One epoch's figures.
#[derive(Clone, Debug)]
pub struct Epoch {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f32,
    /// Accuracy on the test split after the epoch.
    pub test_accuracy: f32,
    /// Training time since the start (excluding the per-epoch evaluation).
    pub elapsed: Duration,
}

/// Trains a fresh network and returns it with every epoch's figures.
pub fn train(
    data: &Digits,
    cfg: &Config,
    mut on_epoch: impl FnMut(&Epoch),
) -> Result<(Mlp<f32>, Vec<Epoch>), Box<dyn Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut net = Mlp::<f32>::init(
        &[FEATURES, cfg.hidden, CLASSES],
        Activation::Relu,
        Activation::Identity,
        &mut rng,
    )?;
    let mut opt = Adam::new(AdamConfig {
        learning_rate: cfg.learning_rate,
        weight_decay: cfg.weight_decay,
        ..Default::default()
    })?;
    let n = data.x_train.rows();
    let mut order: Vec<usize> = (0..n).collect();
    let mut xb = vec![0f32; cfg.batch * FEATURES];
    let mut yb = vec![0usize; cfg.batch];
    let mut grad = vec![0f32; cfg.batch * CLASSES];
    let steps_per_epoch = n.div_ceil(cfg.batch);
    let total_steps = (steps_per_epoch * cfg.epochs) as f32;
    let mut step = 0usize;
    let mut history = Vec::with_capacity(cfg.epochs);
    let mut train_time = Duration::ZERO;
    for epoch in 1..=cfg.epochs {
        let t0 = Instant::now();
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        for chunk in order.chunks(cfg.batch) {
            let b = chunk.len();
            for (k, &i) in chunk.iter().enumerate() {
                xb[k * FEATURES..(k + 1) * FEATURES].copy_from_slice(data.x_train.row(i));
                yb[k] = data.y_train[i];
            }
            let lr = 0.5
                * cfg.learning_rate
                * (1.0 + (std::f32::consts::PI * step as f32 / total_steps).cos());
            opt.set_learning_rate(lr.max(1e-6))?;
            step += 1;
            let logits = net.forward(MatRef::row_major(&xb[..b * FEATURES], b, FEATURES)?)?;
            let loss = softmax_cross_entropy_into(
                logits,
                &yb[..b],
                MatMut::row_major(&mut grad[..b * CLASSES], b, CLASSES)?,
            )?;
            loss_sum += loss;
            net.backward(
                MatRef::row_major(&grad[..b * CLASSES], b, CLASSES)?,
                Accumulate::Overwrite,
            )?;
            net.step(&mut opt)?;
        }
        train_time += t0.elapsed();
        let report = Epoch {
            epoch,
            train_loss: loss_sum / steps_per_epoch as f32,
            test_accuracy: accuracy(&net, data.x_test.view(), &data.y_test)?,
            elapsed: train_time,
        };
        on_epoch(&report);
        history.push(report);
    }
    Ok((net, history))
}

/// Fraction of rows whose largest output is the label.
pub fn accuracy(net: &Mlp<f32>, x: MatRef<'_, f32>, y: &[usize]) -> Result<f32, Box<dyn Error>> {
    let logits = net.predict(x)?;
    let correct = (0..logits.rows())
        .filter(|&i| {
            let row = logits.row(i);
            let best = (0..row.len()).fold(0, |b, j| if row[j] > row[b] { j } else { b });
            best == y[i]
        })
        .count();
    Ok(correct as f32 / y.len() as f32)
}

fn main() -> Result<(), Box<dyn Error>> {
    let data = load_digits()?;
    let cfg = Config::default();
    println!(
        "digits: {} train / {} test, MLP {FEATURES} → {} (ReLU) → {CLASSES}, Adam lr {} cosine, \
         batch {}, {} epochs, seed {}",
        data.x_train.rows(),
        data.x_test.rows(),
        cfg.hidden,
        cfg.learning_rate,
        cfg.batch,
        cfg.epochs,
        cfg.seed
    );
    let wall = Instant::now();
    let (_, history) = train(&data, &cfg, |e| {
        println!(
            "epoch {:3}  train loss {:.4}  test accuracy {:.4}  time {:.3} s",
            e.epoch,
            e.train_loss,
            e.test_accuracy,
            e.elapsed.as_secs_f64()
        );
    })?;
    let last = history.last().ok_or("no epochs")?;
    println!(
        "final test accuracy {:.4} ({} of {}) after {:.3} s of training ({:.3} s wall incl. \
         per-epoch evaluation)",
        last.test_accuracy,
        (last.test_accuracy * data.y_test.len() as f32).round(),
        data.y_test.len(),
        last.elapsed.as_secs_f64(),
        wall.elapsed().as_secs_f64()
    );
    Ok(())
}
