"""Fine-tuning: the student model, LoRA training, and adapter export (peft and GGUF)."""
