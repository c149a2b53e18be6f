#include "geoprosp/training/augment.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "geoprosp/core/error.hpp"
#include "geoprosp/features/element_graph.hpp"

namespace geoprosp {

std::string ToString(AugmentMethod method) {
  switch (method) {
    case AugmentMethod::None:
      return "none";
    case AugmentMethod::Noise:
      return "noise";
    case AugmentMethod::Smote:
      return "smote";
    case AugmentMethod::Vae:
      return "vae";
    case AugmentMethod::Gan:
      return "gan";
  }
  return "none";
}

AugmentMethod ParseAugmentMethod(const std::string& text) {
  for (auto method :
       {AugmentMethod::None, AugmentMethod::Noise, AugmentMethod::Smote, AugmentMethod::Vae, AugmentMethod::Gan}) {
    if (ToString(method) == text) return method;
  }
  throw UsageError("--augment", "expects none|noise|smote|vae|gan, got '" + text + "'");
}

namespace {

constexpr double kTwoPi = 6.283185307179586;

// Platform-independent standard normal draws (Box-Muller on raw mt19937_64 output).
double Normal(std::mt19937_64& rng) {
  const double u1 = (rng() >> 11) * 0x1.0p-53 + 0x1.0p-54, u2 = (rng() >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

Synthetic Noise(const std::vector<float>& real, int e, size_t count, std::mt19937_64& rng) {
  const size_t n = real.size() / e;
  Synthetic out;
  for (size_t i = 0; i < count; ++i) {
    const size_t parent = rng() % n;
    for (int k = 0; k < e; ++k) out.features.push_back(real[parent * e + k] + static_cast<float>(0.2 * Normal(rng)));
    out.parents.push_back(parent);
  }
  return out;
}

Synthetic Smote(const std::vector<float>& real, int e, size_t count, std::mt19937_64& rng) {
  const size_t n = real.size() / e;
  const size_t k_neighbours = std::min<size_t>(5, n - 1);
  Synthetic out;
  for (size_t i = 0; i < count; ++i) {
    const size_t parent = rng() % n;
    std::vector<std::pair<double, size_t>> distances;
    for (size_t j = 0; j < n; ++j) {
      if (j == parent) continue;
      double d = 0;
      for (int k = 0; k < e; ++k) d += std::pow(real[parent * e + k] - real[j * e + k], 2);
      distances.emplace_back(d, j);
    }
    std::partial_sort(distances.begin(), distances.begin() + k_neighbours, distances.end());
    const size_t neighbour = k_neighbours ? distances[rng() % k_neighbours].second : parent;
    const float step = static_cast<float>((rng() >> 11) * 0x1.0p-53);
    for (int k = 0; k < e; ++k) {
      out.features.push_back(real[parent * e + k] + step * (real[neighbour * e + k] - real[parent * e + k]));
    }
    out.parents.push_back(parent);
  }
  return out;
}

torch::nn::Sequential Mlp(int in, int hidden, int out) {
  return torch::nn::Sequential(
      torch::nn::Linear(in, hidden), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
      torch::nn::Linear(hidden, hidden), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
      torch::nn::Linear(hidden, out));
}

std::vector<float> ToVector(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

torch::Tensor Covariance(const torch::Tensor& x) {
  const auto centred = x - x.mean(0);
  return centred.t().mm(centred) / std::max<int64_t>(1, x.size(0) - 1);
}

// A tabular GAN (MLP generator and discriminator, non-saturating loss) on the real positives. With
// a few dozen positives the adversarial loss alone leaves the generator's element correlations far
// from the real ones (mean |dr| ~0.5 on hunan-jiangxi-li), so the generator also matches the real
// mean and covariance (feature matching, Salimans et al. 2016, on the data's own moments).
std::vector<float> Gan(const torch::Tensor& real, size_t count, int steps) {
  const int e = static_cast<int>(real.size(1)), noise = 16;
  const int64_t fake_batch = 64;
  auto generator = Mlp(noise, 64, e);
  auto discriminator = Mlp(e, 64, 1);
  torch::optim::Adam g_opt(generator->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  torch::optim::Adam d_opt(discriminator->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  const int64_t batch = std::min<int64_t>(64, real.size(0));
  const auto real_mean = real.mean(0), real_covariance = Covariance(real);
  for (int step = 0; step < steps; ++step) {
    auto index = torch::randint(real.size(0), {batch}, torch::kInt64);
    auto real_batch = real.index_select(0, index);
    auto fake = generator->forward(torch::randn({fake_batch, noise}));
    auto d_loss = torch::softplus(-discriminator->forward(real_batch)).mean() +
                  torch::softplus(discriminator->forward(fake.detach())).mean();
    d_opt.zero_grad();
    d_loss.backward();
    d_opt.step();
    auto moments = (fake.mean(0) - real_mean).pow(2).mean() + (Covariance(fake) - real_covariance).pow(2).mean();
    auto g_loss = torch::softplus(-discriminator->forward(fake)).mean() + moments;
    g_opt.zero_grad();
    g_loss.backward();
    g_opt.step();
  }
  torch::NoGradGuard no_grad;
  return ToVector(generator->forward(torch::randn({int64_t(count), noise})));
}

// A VAE (8-d latent) on the real positives; new samples are decoded prior draws.
std::vector<float> Vae(const torch::Tensor& real, size_t count, int steps) {
  const int e = static_cast<int>(real.size(1)), latent = 8;
  auto encoder = Mlp(e, 32, 2 * latent);
  auto decoder = Mlp(latent, 32, e);
  std::vector<torch::Tensor> parameters = encoder->parameters();
  for (auto& p : decoder->parameters()) parameters.push_back(p);
  torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(1e-3));
  const int64_t batch = std::min<int64_t>(64, real.size(0));
  for (int step = 0; step < steps; ++step) {
    auto x = real.index_select(0, torch::randint(real.size(0), {batch}, torch::kInt64));
    auto code = encoder->forward(x);
    auto mean = code.narrow(1, 0, latent), log_var = code.narrow(1, latent, latent);
    auto z = mean + torch::exp(0.5 * log_var) * torch::randn_like(mean);
    auto reconstruction = torch::mse_loss(decoder->forward(z), x, torch::Reduction::Sum) / batch;
    auto kl = -0.5 * torch::sum(1 + log_var - mean.pow(2) - log_var.exp()) / batch;
    auto loss = reconstruction + kl;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  torch::NoGradGuard no_grad;
  return ToVector(decoder->forward(torch::randn({int64_t(count), latent})));
}

}  // namespace

Synthetic SynthesisePositives(AugmentMethod method, const std::vector<float>& real, int n_elements, size_t count,
                              uint64_t seed) {
  const size_t n = real.size() / n_elements;
  if (count == 0 || method == AugmentMethod::None) return {};
  if (n < 2) throw Error("--augment", "needs at least 2 deposit cells in the training data, got " + std::to_string(n));
  std::mt19937_64 rng(seed);
  if (method == AugmentMethod::Noise) return Noise(real, n_elements, count, rng);
  if (method == AugmentMethod::Smote) return Smote(real, n_elements, count, rng);
  torch::manual_seed(seed);
  const auto real_tensor =
      torch::from_blob(const_cast<float*>(real.data()), {int64_t(n), n_elements}, torch::kFloat32).clone();
  Synthetic out;
  out.features = method == AugmentMethod::Gan ? Gan(real_tensor, count, 1500) : Vae(real_tensor, count, 1500);
  for (size_t i = 0; i < count; ++i) out.parents.push_back(rng() % n);
  return out;
}

SyntheticComparison CompareWithReal(const std::vector<float>& real, const std::vector<float>& generated,
                                    int n_elements) {
  auto stats = [n_elements](const std::vector<float>& data) {
    const size_t n = data.size() / n_elements;
    std::vector<double> mean(n_elements, 0), sd(n_elements, 0);
    for (size_t i = 0; i < n; ++i) {
      for (int k = 0; k < n_elements; ++k) mean[k] += data[i * n_elements + k] / double(n);
    }
    for (size_t i = 0; i < n; ++i) {
      for (int k = 0; k < n_elements; ++k)
        sd[k] += std::pow(data[i * n_elements + k] - mean[k], 2) / std::max<double>(1, n - 1);
    }
    for (auto& s : sd) s = std::sqrt(s);
    return std::make_pair(mean, sd);
  };
  if (generated.empty()) return {};
  const auto [real_mean, real_sd] = stats(real);
  const auto [gen_mean, gen_sd] = stats(generated);
  const auto real_r = Correlation(real.data(), real.size() / n_elements, n_elements, {});
  const auto gen_r = Correlation(generated.data(), generated.size() / n_elements, n_elements, {});
  double max_r_difference = 0, mean_r_difference = 0;
  for (size_t i = 0; i < real_r.size(); ++i) {
    max_r_difference = std::max(max_r_difference, std::abs(real_r[i] - gen_r[i]));
    mean_r_difference += std::abs(real_r[i] - gen_r[i]) / real_r.size();
  }
  SyntheticComparison comparison;
  comparison.real_mean = real_mean;
  comparison.generated_mean = gen_mean;
  comparison.real_sd = real_sd;
  comparison.generated_sd = gen_sd;
  comparison.correlation_max_abs_difference = max_r_difference;
  comparison.correlation_mean_abs_difference = mean_r_difference;
  return comparison;
}

}  // namespace geoprosp
