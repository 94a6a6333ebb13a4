navigator.clipboard.writeText(this.dataset.copy).then(() => { this.textContent = '已复制'; }, () => { this.textContent = '复制失败'; })
