"""Losses and critics shared by stages of any contract (reconstruction, spectral, GAN)."""
